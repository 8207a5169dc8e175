//! The permission picker: only what the signed-in user holds in the
//! organization, grouped by the resource part of each permission name, each
//! ticked permission narrowed to resources (`*` unless given).

use super::form::FormData;
use crate::ctx::Grants;
use keyward_core::model::{Catalog, KeyGrant};
use serde_json::{Value, json};

/// One permission the user may hand out.
pub struct PickerItem {
    pub name: String,
    pub description: String,
    pub read_only: bool,
    /// Where the user holds it, e.g. `*` or `datasets/1, datasets/2`.
    pub held_on: String,
    pub checked: bool,
    /// The narrowing typed in; `*` by default.
    pub resource: String,
}

impl PickerItem {
    /// The name of the item's resource field.
    pub fn resource_field(&self) -> String {
        format!("resource.{}", self.name)
    }
}

pub struct PickerGroup {
    pub resource: String,
    pub items: Vec<PickerItem>,
}

#[derive(Default)]
pub struct Picker {
    pub groups: Vec<PickerGroup>,
    /// For a read-only key: only read-only permissions are shown.
    pub read_only: bool,
}

/// The form field of ticked permissions.
const FIELD: &str = "permission";

impl Picker {
    /// What the user holds, in catalog order; the admin key (never a portal
    /// user) would hold the whole catalog.
    pub fn new(grants: &Grants, catalog: &Catalog) -> Self {
        let mut picker = Picker::default();
        for permission in &catalog.0 {
            let name = permission.name.as_str();
            let held_on: Vec<String> = match grants.set() {
                None => vec!["*".to_owned()],
                Some(set) => set
                    .grants()
                    .iter()
                    .filter(|g| g.permission.as_str() == name)
                    .map(|g| g.resource.to_string())
                    .collect(),
            };
            if held_on.is_empty() {
                continue;
            }
            let item = PickerItem {
                name: name.to_owned(),
                description: permission.description.clone(),
                read_only: permission.read_only,
                held_on: held_on.join(", "),
                checked: false,
                resource: "*".to_owned(),
            };
            let resource = name.split_once(':').map_or(name, |(r, _)| r);
            match picker.groups.iter_mut().find(|g| g.resource == resource) {
                Some(group) => group.items.push(item),
                None => picker.groups.push(PickerGroup {
                    resource: resource.to_owned(),
                    items: vec![item],
                }),
            }
        }
        picker
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Ticks what a key holds, with the resources it holds each on.
    pub fn tick(&mut self, grants: &[KeyGrant]) {
        for item in self.groups.iter_mut().flat_map(|g| g.items.iter_mut()) {
            let on: Vec<String> = grants
                .iter()
                .filter(|g| g.name.as_str() == item.name)
                .map(|g| g.resource.to_string())
                .collect();
            if !on.is_empty() {
                item.checked = true;
                item.resource = on.join(", ");
            }
        }
    }

    /// Keeps what a submitted form ticked and typed.
    pub fn fill(&mut self, form: &FormData) {
        let ticked: Vec<&str> = form.all(FIELD).collect();
        for item in self.groups.iter_mut().flat_map(|g| g.items.iter_mut()) {
            item.checked = ticked.contains(&item.name.as_str());
            let typed = form.get(&item.resource_field()).trim();
            if !typed.is_empty() {
                item.resource = typed.to_owned();
            }
        }
    }

    /// The ticked permissions as the domain takes them
    /// (`{permission, resource}`, one per comma-separated resource).
    /// Names the picker didn't offer are passed on, so the domain refuses them.
    pub fn refs(form: &FormData) -> Vec<Value> {
        let mut refs = Vec::new();
        for name in form.all(FIELD) {
            let typed = form.get(&format!("resource.{name}"));
            let resources: Vec<&str> = typed
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .collect();
            if resources.is_empty() {
                refs.push(json!({ "permission": name, "resource": "*" }));
            }
            for resource in resources {
                refs.push(json!({ "permission": name, "resource": resource }));
            }
        }
        refs
    }
}

//! The JSON body of key creation: deserialized as the API does, then
//! validated (name, expiry, permission references). Every refusal must be
//! a client error, never a panic or a 5xx.

#![no_main]

use axum::Json;
use chrono::DateTime;
use keyward_core::BUILTIN_PERMISSIONS;
use keyward_core::PermissionName;
use keyward_core::model::{Catalog, Permission};
use keyward_server::error::ApiResult;
use keyward_server::ops::rules::{check_expiry, check_name, resolve_permissions};
use keyward_server::routes::keys::CreateKeyRequest;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog(
        BUILTIN_PERMISSIONS
            .iter()
            .map(|b| Permission {
                id: b.id,
                name: PermissionName::parse(b.name).expect("a built-in name"),
                description: b.description.to_owned(),
                read_only: b.read_only,
            })
            .collect(),
    )
});

fn client_error<T>(result: ApiResult<T>) {
    if let Err(error) = result {
        assert!(
            error.code.status().is_client_error(),
            "{:?} answers {}",
            error.message,
            error.code.status()
        );
    }
}

fuzz_target!(|body: &[u8]| {
    let request = match Json::<CreateKeyRequest>::from_bytes(body) {
        Ok(Json(request)) => request,
        Err(rejection) => {
            assert!(rejection.status().is_client_error());
            return;
        }
    };
    let now = DateTime::from_timestamp(1_767_225_600, 0).expect("a fixed instant");
    client_error(check_name(&request.name));
    client_error(check_expiry(request.expires_at, now));
    if let Some(refs) = &request.permissions {
        client_error(resolve_permissions(&CATALOG, refs));
    }
});

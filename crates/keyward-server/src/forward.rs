//! Forward-auth configuration: rules mapping method and path to a permission.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultPolicy {
    #[default]
    Deny,
    AllowAuthenticated,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardAuthConfig {
    #[serde(default)]
    pub default: DefaultPolicy,
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub methods: Vec<String>,
    pub path: String,
    pub permission: String,
    pub resource: Option<String>,
}

impl ForwardAuthConfig {
    pub fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

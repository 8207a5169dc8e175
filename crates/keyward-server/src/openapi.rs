//! The OpenAPI 3.1 document; every route adds itself through `utoipa-axum`.

use crate::error::{Code, ErrorBody};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "keyward",
        description = "Self-hosted API keys: organizations, keys, scopes, verification. \
                       Send a key in `x-api-key`, `Authorization: Api-Key …` or `Authorization: Bearer …`."
    ),
    paths(crate::routes::forward::forward),
    components(schemas(ErrorBody, Code)),
    modifiers(&Security),
    security(("api_key" = []), ("bearer" = []))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

//! The portal's CSS and JavaScript, embedded in the binary and served
//! under names that carry a hash of their content, so they can be cached
//! for a year and still change with every release that changes them.

use crate::state::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

struct Asset {
    path: String,
    body: &'static str,
    content_type: &'static str,
}

fn asset(stem: &str, ext: &str, body: &'static str, content_type: &'static str) -> Asset {
    let mut hasher = DefaultHasher::new();
    body.hash(&mut hasher);
    Asset {
        path: format!("/static/{stem}.{:016x}.{ext}", hasher.finish()),
        body,
        content_type,
    }
}

static CSS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "portal",
        "css",
        include_str!("../../static/portal.css"),
        "text/css; charset=utf-8",
    )
});

static JS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "portal",
        "js",
        include_str!("../../static/portal.js"),
        "text/javascript; charset=utf-8",
    )
});

/// Where the stylesheet is served.
pub fn css_path() -> &'static str {
    &CSS.path
}

/// Where the script is served.
pub fn js_path() -> &'static str {
    &JS.path
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/static/{file}", get(serve))
}

async fn serve(Path(file): Path<String>) -> Response {
    let requested = format!("/static/{file}");
    match [&*CSS, &*JS].into_iter().find(|a| a.path == requested) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            asset.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

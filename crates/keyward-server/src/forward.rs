//! Forward-auth configuration and trust: which proxy dialect carries the
//! original request, which peers may ask, and the rules (compiled by
//! [`keyward_core::forward_rules`]). Read from the `[forward_auth]` table of
//! the TOML file:
//!
//! ```toml
//! [forward_auth]
//! proxy = "nginx"                   # or "traefik", "envoy"; nginx by default
//! trusted_proxies = ["127.0.0.1/32"] # CIDRs; loopback by default
//! default = "deny"                  # or "allow-authenticated"
//! preflight = "pass"                # or "authenticate"; see [`Preflight`]
//! preflight_origins = []            # origins whose preflights pass; [] is any
//! [[forward_auth.rules]]
//! methods = ["GET", "HEAD"]
//! path = "/api/dataproducts/{id}"
//! permission = "dataproducts:read"
//! resource = "dataproducts/{id}"
//! ```

use crate::error::ApiError;
use axum::http::{HeaderMap, Method, Uri};
use ipnet::IpNet;
use keyward_core::forward_path::{CanonicalPath, canonical_path};
use keyward_core::forward_rules::{DefaultPolicy, RuleConfig, RuleSet};
use serde::Deserialize;
use std::fmt;
use std::net::IpAddr;

/// The forward-auth route, and its prefix form for Envoy, which appends the
/// original path.
pub const PATH: &str = "/api/v1/auth/forward";

/// Which proxy calls forward-auth, and so where the original request is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proxy {
    /// `auth_request`: `X-Original-Method` and `X-Original-URI`.
    #[default]
    Nginx,
    /// `forwardAuth`: `X-Forwarded-Method` and `X-Forwarded-Uri`.
    Traefik,
    /// `ext_authz`: this request's own method, and the original path after [`PATH`].
    Envoy,
}

const NGINX_HEADERS: [&str; 2] = ["x-original-method", "x-original-uri"];
const TRAEFIK_HEADERS: [&str; 2] = ["x-forwarded-method", "x-forwarded-uri"];

impl fmt::Display for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Proxy::Nginx => "nginx",
            Proxy::Traefik => "traefik",
            Proxy::Envoy => "envoy",
        })
    }
}

/// What forward-auth answers a CORS preflight: an `OPTIONS` request with
/// `Origin` and `Access-Control-Request-Method`, which browsers send
/// before a cross-origin call and never with a credential.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preflight {
    /// Let it through to the upstream, which answers it with its own CORS
    /// policy (no identity headers); a key is still needed for the call
    /// that follows.
    #[default]
    Pass,
    /// Treat it as any other request: without a key, 401.
    Authenticate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForwardAuthConfig {
    pub proxy: Proxy,
    /// CIDRs (or single addresses) of the proxies allowed to ask.
    pub trusted_proxies: Vec<String>,
    pub default: DefaultPolicy,
    pub preflight: Preflight,
    /// The origins whose preflights pass (`https://app.example.com`); empty
    /// lets any origin's.
    pub preflight_origins: Vec<String>,
    pub rules: Vec<RuleConfig>,
}

impl Default for ForwardAuthConfig {
    fn default() -> Self {
        Self {
            proxy: Proxy::default(),
            trusted_proxies: vec!["127.0.0.0/8".into(), "::1/128".into()],
            default: DefaultPolicy::default(),
            preflight: Preflight::default(),
            preflight_origins: Vec::new(),
            rules: Vec::new(),
        }
    }
}

/// Forward-auth's checked settings.
#[derive(Debug, Clone)]
pub struct ForwardAuth {
    pub proxy: Proxy,
    trusted_proxies: Vec<IpNet>,
    preflight: Preflight,
    preflight_origins: Vec<String>,
    pub rules: RuleSet,
}

/// The request a proxy asks about.
#[derive(Debug)]
pub struct Original<'r> {
    pub method: &'r str,
    pub path: CanonicalPath<'r>,
}

impl ForwardAuthConfig {
    pub fn compile(&self) -> Result<ForwardAuth, String> {
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .enumerate()
            .map(|(i, text)| {
                text.parse::<IpNet>()
                    .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!(
                            "forward_auth.trusted_proxies[{i}]: {text:?} is not a CIDR such as 10.0.0.0/8"
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if trusted_proxies.is_empty() {
            return Err(
                "forward_auth.trusted_proxies must name at least one proxy's address".into(),
            );
        }
        for (i, origin) in self.preflight_origins.iter().enumerate() {
            // A browser's `Origin`: scheme and host, no path, no slash.
            let is_origin = !origin.ends_with('/')
                && Uri::try_from(origin.as_str()).is_ok_and(|uri| {
                    uri.scheme().is_some()
                        && uri.authority().is_some()
                        && uri.path() == "/"
                        && uri.query().is_none()
                });
            if !is_origin {
                return Err(format!(
                    "forward_auth.preflight_origins[{i}]: {origin:?} is not an origin such as https://app.example.com"
                ));
            }
        }
        Ok(ForwardAuth {
            proxy: self.proxy,
            trusted_proxies,
            preflight: self.preflight,
            preflight_origins: self.preflight_origins.clone(),
            rules: RuleSet::compile(self.default, &self.rules)?,
        })
    }
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(crate::error::Code::BadRequest, message)
}

/// The one value of header `name`, if it is there; several are ambiguous.
fn single<'r>(headers: &'r HeaderMap, name: &str) -> Result<Option<&'r str>, ApiError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(bad_request(format!("{name} is given more than once")));
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| bad_request(format!("{name} is not visible ASCII")))
}

/// Where each dialect writes the client's address; `X-Forwarded-For`
/// after it.
fn client_header(proxy: Proxy) -> Option<&'static str> {
    match proxy {
        Proxy::Nginx => Some("x-real-ip"),
        Proxy::Traefik => None,
        Proxy::Envoy => Some("x-envoy-external-address"),
    }
}

fn address(name: &str, text: &str) -> Result<IpAddr, ApiError> {
    text.trim()
        .parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| bad_request(format!("{name} holds {text:?}, which is not an IP address")))
}

impl ForwardAuth {
    /// The address of the client the proxy serves. Only a trusted proxy's
    /// word is taken: its dialect's header (nginx `X-Real-IP`, Envoy
    /// `x-envoy-external-address`), else the last `X-Forwarded-For` entry
    /// that isn't a trusted proxy; from any other peer, and without those
    /// headers, the peer's own address.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> Result<IpAddr, ApiError> {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return Ok(peer);
        }
        if let Some(name) = client_header(self.proxy)
            && let Some(text) = single(headers, name)?
        {
            return address(name, text);
        }
        let mut chain = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            let text = value
                .to_str()
                .map_err(|_| bad_request("x-forwarded-for is not visible ASCII"))?;
            for entry in text.split(',').filter(|e| !e.trim().is_empty()) {
                chain.push(address("x-forwarded-for", entry)?);
            }
        }
        Ok(chain
            .iter()
            .rev()
            .find(|hop| !self.trusts(**hop))
            .or(chain.first())
            .copied()
            .unwrap_or(peer))
    }

    /// Whether the original request is a CORS preflight the configuration
    /// lets through without a key.
    pub fn passes_preflight(&self, method: &str, headers: &HeaderMap) -> bool {
        if self.preflight != Preflight::Pass
            || !method.eq_ignore_ascii_case("OPTIONS")
            || !headers.contains_key("access-control-request-method")
        {
            return false;
        }
        match single(headers, "origin") {
            Ok(Some(origin)) => {
                self.preflight_origins.is_empty()
                    || self.preflight_origins.iter().any(|o| o == origin)
            }
            _ => false,
        }
    }

    /// Whether `peer` may call forward-auth.
    pub fn trusts(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.trusted_proxies.iter().any(|net| net.contains(&peer))
    }

    /// The original method and canonical path, from the configured dialect
    /// only. Another dialect's headers, or a missing or ambiguous method or
    /// path, are a 400: a proxy that sets them is misconfigured, and a
    /// client may have written them.
    pub fn original<'r>(
        &self,
        method: &'r Method,
        uri: &'r Uri,
        headers: &'r HeaderMap,
    ) -> Result<Original<'r>, ApiError> {
        for (dialect, names) in [
            (Proxy::Nginx, NGINX_HEADERS),
            (Proxy::Traefik, TRAEFIK_HEADERS),
        ] {
            if dialect != self.proxy && names.iter().any(|name| headers.contains_key(*name)) {
                return Err(bad_request(format!(
                    "the request carries {dialect}'s headers, but forward-auth is configured for {}",
                    self.proxy
                )));
            }
        }
        let (method, uri) = match self.proxy {
            Proxy::Nginx | Proxy::Traefik => {
                let [method_header, uri_header] = match self.proxy {
                    Proxy::Traefik => TRAEFIK_HEADERS,
                    _ => NGINX_HEADERS,
                };
                (
                    single(headers, method_header)?.unwrap_or_default(),
                    single(headers, uri_header)?.unwrap_or_default(),
                )
            }
            Proxy::Envoy => {
                let own = uri.path_and_query().map_or("", |p| p.as_str());
                let rest = own.strip_prefix(PATH).unwrap_or_default();
                (method.as_str(), rest)
            }
        };
        if method.is_empty() || Method::from_bytes(method.as_bytes()).is_err() {
            return Err(bad_request("the original method is missing or malformed"));
        }
        let path = canonical_path(uri)
            .map_err(|e| bad_request(format!("the original URI is refused: {e}")))?;
        Ok(Original { method, path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_origins(origins: &[&str]) -> Result<ForwardAuth, String> {
        ForwardAuthConfig {
            preflight_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            ..ForwardAuthConfig::default()
        }
        .compile()
    }

    #[test]
    fn preflight_origins_are_browser_origins() {
        assert!(with_origins(&["https://app.example.com", "http://localhost:3000"]).is_ok());
        for bad in [
            "https://app.example.com/",
            "https://a.com/x",
            "app.example.com",
            "*",
            "",
            "https://a.com?x=1",
        ] {
            assert!(with_origins(&[bad]).is_err(), "{bad:?} was taken");
        }
    }

    #[test]
    fn only_a_single_listed_origin_passes() {
        let forward = with_origins(&["https://app.example.com"]).unwrap();
        let headers = |origins: &[&str]| {
            let mut map = HeaderMap::new();
            map.insert("access-control-request-method", "PUT".parse().unwrap());
            for origin in origins {
                map.append("origin", origin.parse().unwrap());
            }
            map
        };
        assert!(forward.passes_preflight("OPTIONS", &headers(&["https://app.example.com"])));
        assert!(!forward.passes_preflight("OPTIONS", &headers(&["https://evil.example"])));
        // Two origins are ambiguous; none is no preflight.
        let both = headers(&["https://app.example.com", "https://evil.example"]);
        assert!(!forward.passes_preflight("OPTIONS", &both));
        assert!(!forward.passes_preflight("OPTIONS", &headers(&[])));
    }
}

//! Where a webhook may be sent: by default only `https` URLs whose host
//! resolves to public addresses (no loopback, private, link-local, cloud
//! metadata, unspecified or otherwise reserved ones), checked when an
//! endpoint is saved and again before every attempt, which then connects to
//! the address checked, so a name that starts resolving elsewhere (DNS
//! rebinding) can't reach inside.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The longest URL an endpoint may have.
pub const MAX_URL_LEN: usize = 2048;

/// Why a URL can't be a webhook's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the URL is not a valid absolute URL")]
    Malformed,
    #[error("the URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    #[error("the URL must use https")]
    NotHttps,
    #[error("the URL's host {0} could not be resolved")]
    Unresolved(String),
    #[error(
        "the URL's host resolves to {0}, a loopback, private, link-local or otherwise reserved address"
    )]
    Private(IpAddr),
}

const V4_RESERVED: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 0, 0, 0), 24),
    (Ipv4Addr::new(192, 0, 2, 0), 24),
    (Ipv4Addr::new(192, 88, 99, 0), 24),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(198, 18, 0, 0), 15),
    (Ipv4Addr::new(198, 51, 100, 0), 24),
    (Ipv4Addr::new(203, 0, 113, 0), 24),
    (Ipv4Addr::new(224, 0, 0, 0), 4),
    (Ipv4Addr::new(240, 0, 0, 0), 4),
];

const V6_RESERVED: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::UNSPECIFIED, 128),
    (Ipv6Addr::LOCALHOST, 128),
    // IPv4-mapped and -translated: checked by their IPv4 address instead.
    (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96),
    (Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48),
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64),
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32),
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),
];

/// Whether a webhook may never reach `ip` (unless private targets are allowed).
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => V4_RESERVED
            .iter()
            .filter_map(|(net, len)| Ipv4Net::new(*net, *len).ok())
            .any(|net| net.contains(&v4)),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden(IpAddr::V4(v4));
            }
            V6_RESERVED
                .iter()
                .filter_map(|(net, len)| Ipv6Net::new(*net, *len).ok())
                .map(IpNet::V6)
                .any(|net| net.contains(&IpAddr::V6(v6)))
        }
    }
}

/// A URL that passed the rules it was checked against.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: Url,
    /// The checked address to connect to, with the host's name kept for
    /// TLS and `Host`; `None` when private targets are allowed.
    pub pinned: Option<(String, SocketAddr)>,
}

/// Parses `raw` and checks its scheme; `allow_private` lifts the rules.
pub fn parse(raw: &str, allow_private: bool) -> Result<Url, Refused> {
    if raw.len() > MAX_URL_LEN {
        return Err(Refused::TooLong);
    }
    let url = Url::parse(raw).map_err(|_| Refused::Malformed)?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(Refused::Malformed);
    }
    if url.scheme() != "https" && !allow_private {
        return Err(Refused::NotHttps);
    }
    Ok(url)
}

/// Parses and checks `raw`, resolving its host: every address it resolves
/// to must be allowed.
pub async fn check(raw: &str, allow_private: bool) -> Result<Target, Refused> {
    let url = parse(raw, allow_private)?;
    if allow_private {
        return Ok(Target { url, pinned: None });
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|_| Refused::Unresolved(host.clone()))?
            .collect(),
    };
    if let Some(bad) = addresses.iter().find(|a| is_forbidden(a.ip())) {
        return Err(Refused::Private(bad.ip()));
    }
    let first = addresses
        .first()
        .copied()
        .ok_or_else(|| Refused::Unresolved(host.clone()))?;
    Ok(Target {
        url,
        pinned: Some((bare.to_owned(), first)),
    })
}

/// The URL as the audit log and messages may show it: without its
/// credentials, query or fragment, which may carry a secret.
pub fn redacted(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_addresses_are_forbidden() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_forbidden(bad.parse().unwrap()), "{bad}");
        }
        for good in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(!is_forbidden(good.parse().unwrap()), "{good}");
        }
    }

    #[tokio::test]
    async fn urls_are_checked() {
        assert_eq!(
            check("http://93.184.216.34/x", false).await.unwrap_err(),
            Refused::NotHttps
        );
        assert!(matches!(
            check("https://127.0.0.1/x", false).await,
            Err(Refused::Private(_))
        ));
        assert!(matches!(
            check("https://[::1]:8443/x", false).await,
            Err(Refused::Private(_))
        ));
        assert!(matches!(
            check("https://localhost/x", false).await,
            Err(Refused::Private(_))
        ));
        assert_eq!(
            check("ftp://x", false).await.unwrap_err(),
            Refused::Malformed
        );
        let ok = check("https://93.184.216.34/x", false).await.unwrap();
        assert!(ok.pinned.is_some());
        assert!(check("http://127.0.0.1:9/x", true).await.is_ok());
        assert_eq!(
            redacted("https://user:pw@example.com/hook?token=s#f"),
            "https://example.com/hook"
        );
    }
}

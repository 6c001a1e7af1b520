//! Where clients reach this server, for the absolute links it writes (the
//! OGC API's links, the link a printed 场所码 carries): `--public-url` when
//! the operator gave it; otherwise the request's `Host` (HTTP/2: its
//! authority), https when this server terminates TLS, and behind a
//! `--trusted-proxy` the proxy's `X-Forwarded-Proto`, `-Host` and `-Prefix`.
//! Anyone can write those headers, so from any other peer they are ignored,
//! as `X-Forwarded-For` is (net/proxies.rs): a link must not point where a
//! client asked it to.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::http::uri::Authority;

use crate::app::App;
use crate::net::{OverTls, Peer};

/// The root of this server's links, `scheme://host[:port][/prefix]` with no
/// trailing slash; empty when the request names no usable host (links are
/// then absolute paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRoot(pub String);

impl ServerRoot {
    /// Whether the root names a host (a link made from it opens anywhere).
    #[must_use]
    pub fn is_absolute(&self) -> bool {
        self.0.contains("://")
    }
}

impl FromRequestParts<Arc<App>> for ServerRoot {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Infallible> {
        if let Some(url) = &app.public_url {
            return Ok(ServerRoot(url.to_string()));
        }
        let proxied = parts
            .extensions
            .get::<ConnectInfo<Peer>>()
            .is_some_and(|c| app.trusted_proxies.trusts(c.0.0.ip()));
        let asked = Asked {
            authority: parts.uri.authority().map(Authority::as_str),
            // The server's own TLS, not a scheme the request claims (an
            // HTTP/2 client writes its own `:scheme`).
            tls: parts.extensions.get::<OverTls>().is_some(),
            proxied,
        };
        Ok(ServerRoot(from_headers(&parts.headers, asked)))
    }
}

/// What a request says of how it reached the server, beside its headers.
#[derive(Debug, Clone, Copy, Default)]
struct Asked<'a> {
    /// The request target's authority (HTTP/2 carries the host there, not
    /// in a `Host` header).
    authority: Option<&'a str>,
    /// It came over TLS this server terminated.
    tls: bool,
    /// The peer is a trusted proxy: its `X-Forwarded-*` are believed.
    proxied: bool,
}

/// The root the request's headers name; the `X-Forwarded-*` ones only when
/// the peer is a trusted proxy.
fn from_headers(headers: &HeaderMap, asked: Asked<'_>) -> String {
    let proxied = asked.proxied;
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let forwarded = |name: &str| if proxied { first(name) } else { None };
    let prefix = forwarded("x-forwarded-prefix")
        .map(|p| p.trim_end_matches('/'))
        .filter(|p| {
            p.starts_with('/')
                && p.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/-._~".contains(&c))
        })
        .unwrap_or("");
    let host = forwarded("x-forwarded-host")
        .or_else(|| first("host"))
        .or(asked.authority)
        .filter(|h| {
            h.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b".-:[]".contains(&c))
        });
    match host {
        Some(host) => {
            // A trusted proxy's word on the scheme wins over the hop.
            let https = forwarded("x-forwarded-proto").map_or(asked.tls, |p| p == "https");
            let scheme = if https { "https" } else { "http" };
            format!("{scheme}://{host}{prefix}")
        }
        None => prefix.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    const PROXIED: Asked<'static> = Asked {
        authority: None,
        tls: false,
        proxied: true,
    };

    fn proxy_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("10.0.0.7:8080"));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        h.insert(
            "x-forwarded-host",
            HeaderValue::from_static("map.example.cn, proxy"),
        );
        h.insert("x-forwarded-prefix", HeaderValue::from_static("/riskmap/"));
        h
    }

    #[test]
    fn the_root_is_the_host_asked_for() {
        let mut h = HeaderMap::new();
        assert_eq!(from_headers(&h, Asked::default()), "");
        h.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(from_headers(&h, Asked::default()), "http://127.0.0.1:8080");
        h.insert("host", HeaderValue::from_static("evil/\"x"));
        assert_eq!(from_headers(&h, Asked::default()), "");
    }

    #[test]
    fn a_trusted_proxy_names_the_root_it_serves_under() {
        let mut h = proxy_headers();
        assert_eq!(from_headers(&h, PROXIED), "https://map.example.cn/riskmap");
        h.insert("x-forwarded-host", HeaderValue::from_static("evil/\"x"));
        h.remove("host");
        assert_eq!(from_headers(&h, PROXIED), "/riskmap");
    }

    #[test]
    fn forwarded_headers_from_anyone_else_are_ignored() {
        // A client writing X-Forwarded-Host must not turn the links (or a
        // printed code) towards a host of its choosing.
        assert_eq!(
            from_headers(&proxy_headers(), Asked::default()),
            "http://10.0.0.7:8080"
        );
    }

    #[test]
    fn over_tls_or_http2_the_request_itself_says_how_it_came() {
        let h = HeaderMap::new();
        // HTTP/2 has no Host header: the authority names the host.
        let h2 = Asked {
            authority: Some("map.example.cn:8443"),
            tls: true,
            proxied: false,
        };
        assert_eq!(from_headers(&h, h2), "https://map.example.cn:8443");
        // HTTP/1.1 over the server's own TLS.
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("10.0.0.7:8443"));
        let tls = Asked {
            tls: true,
            ..Asked::default()
        };
        assert_eq!(from_headers(&h, tls), "https://10.0.0.7:8443");
        // A trusted proxy's word on the scheme wins over the hop it came by.
        h.insert("x-forwarded-proto", HeaderValue::from_static("http"));
        let behind = Asked {
            proxied: true,
            ..tls
        };
        assert_eq!(from_headers(&h, behind), "http://10.0.0.7:8443");
    }
}

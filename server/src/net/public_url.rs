//! The address clients reach this server by (`--public-url`), for the
//! absolute links it writes: the OGC API's links and the link a printed
//! 场所码 (venue code) carries. Behind a NAT, a load balancer or a reverse
//! proxy, the address an administrator happened to type (`localhost`, an
//! internal name) is not the one a field worker's phone can open.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;

/// `scheme://host[:port][/path]`: http or https, with no user, query or
/// fragment, and no trailing slash (links are written as root + path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl FromStr for PublicUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = Url::parse(s.trim()).map_err(|e| format!("{s:?} is not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{s:?}: the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("{s:?} names no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("{s:?}: a public URL carries no user or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{s:?}: a public URL has no query or fragment"));
        }
        let path = url.path().trim_end_matches('/');
        Ok(PublicUrl(format!(
            "{}{path}",
            url.origin().ascii_serialization()
        )))
    }
}

impl PublicUrl {
    /// The root links start with.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(s: &str) -> Result<String, String> {
        s.parse::<PublicUrl>().map(|u| u.to_string())
    }

    #[test]
    fn a_public_url_is_kept_as_the_root_of_links() {
        assert_eq!(
            root("https://map.wenzhou.gov.cn/").as_deref(),
            Ok("https://map.wenzhou.gov.cn")
        );
        assert_eq!(
            root(" https://map.example.cn:8443/riskmap/ ").as_deref(),
            Ok("https://map.example.cn:8443/riskmap")
        );
        // the default port is implied; a Chinese host is written as DNS has it (punycode)
        assert_eq!(root("http://10.0.0.5:80").as_deref(), Ok("http://10.0.0.5"));
        assert_eq!(
            root("https://风险.温州.cn").as_deref(),
            Ok("https://xn--rl5a30c.xn--6rtp67a.cn")
        );
    }

    #[test]
    fn what_cannot_root_a_link_is_refused_with_the_reason() {
        for (bad, why) in [
            ("map.example.cn", "is not a URL"),
            ("ftp://map.example.cn", "http or https"),
            ("https://u:p@map.example.cn", "no user or password"),
            ("https://map.example.cn/?a=1", "no query or fragment"),
            ("https://map.example.cn/#x", "no query or fragment"),
        ] {
            let e = root(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}

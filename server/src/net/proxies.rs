//! Which client a request comes from when reverse proxies stand in front:
//! the TCP peer, unless it is a proxy the operator trusts, in which case
//! the right-most address in `X-Forwarded-For` that is not a trusted proxy
//! (each proxy appends the address it got the request from; only the part
//! written by trusted proxies can be believed). With no trusted proxy
//! configured, `X-Forwarded-For` is ignored: anyone can write it.

use std::net::IpAddr;
use std::str::FromStr;

/// An address range, `10.0.0.0/8` or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for IpRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or range (e.g. 10.0.0.0/8)"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(IpRange { network, prefix })
    }
}

impl IpRange {
    /// Whether `ip` lies in the range.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => masked(
                u128::from(u32::from(n)),
                u128::from(u32::from(a)),
                32,
                self.prefix,
            ),
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(u128::from(n), u128::from(a), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// An IPv4 address seen as IPv6 (`::ffff:a.b.c.d`, as a dual-stack socket
/// reports it) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    }
}

fn masked(network: u128, addr: u128, bits: u8, prefix: u8) -> bool {
    let shift = u32::from(bits - prefix);
    let top = |x: u128| x.checked_shr(shift).unwrap_or(0);
    top(network) == top(addr)
}

/// The reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpRange>);

impl TrustedProxies {
    /// Reads `--trusted-proxy` values.
    pub fn parse(ranges: &[String]) -> Result<Self, String> {
        ranges
            .iter()
            .filter(|r| !r.trim().is_empty())
            .map(|r| r.parse())
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` is one of the trusted proxies.
    #[must_use]
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|r| r.contains(ip))
    }

    /// The client of a request from `peer` carrying these `X-Forwarded-For`
    /// header values (in order).
    #[must_use]
    pub fn client<'a>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'a str>) -> IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
        let mut client = canonical(peer);
        for hop in hops.iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // Unreadable: what lies beyond it cannot be believed.
                return client;
            };
            client = canonical(ip);
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, possibly `[v6]` or with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    hop.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_contain_what_they_should() {
        let r: IpRange = "10.0.0.0/8".parse().unwrap();
        assert!(r.contains(ip("10.200.3.4")));
        assert!(r.contains(ip("::ffff:10.1.2.3")), "an IPv4-mapped peer");
        assert!(!r.contains(ip("11.0.0.1")));
        let one: IpRange = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let all: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        let v6: IpRange = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
        assert!("proxy".parse::<IpRange>().is_err());
    }

    #[test]
    fn only_trusted_hops_are_believed() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("1.2.3.4"), ["6.6.6.6"].into_iter()),
            ip("1.2.3.4")
        );
        let t = TrustedProxies::parse(&["10.0.0.0/8".into()]).unwrap();
        // A client behind one proxy.
        assert_eq!(
            t.client(ip("10.0.0.1"), ["5.5.5.5"].into_iter()),
            ip("5.5.5.5")
        );
        // A spoofed entry before the real one is not believed.
        assert_eq!(
            t.client(ip("10.0.0.1"), ["6.6.6.6, 5.5.5.5"].into_iter()),
            ip("5.5.5.5")
        );
        // Two proxies, two header lines.
        assert_eq!(
            t.client(ip("10.0.0.1"), ["5.5.5.5", "10.0.0.2"].into_iter()),
            ip("5.5.5.5")
        );
        // Ports and brackets.
        assert_eq!(
            t.client(ip("10.0.0.1"), ["[2001:db8::1]:443"].into_iter()),
            ip("2001:db8::1")
        );
        assert_eq!(
            t.client(ip("10.0.0.1"), ["5.5.5.5:1234"].into_iter()),
            ip("5.5.5.5")
        );
        // No header: the proxy itself.
        assert_eq!(t.client(ip("10.0.0.1"), std::iter::empty()), ip("10.0.0.1"));
        // Garbage stops the walk at the last believed hop.
        assert_eq!(
            t.client(ip("10.0.0.1"), ["5.5.5.5, junk"].into_iter()),
            ip("10.0.0.1")
        );
    }
}

//! Is a camera's stream there? A probe of its `stream_url`, bounded by a
//! timeout: an `http://` URL (an HLS playlist from a media gateway) must
//! answer a `GET` with a 2xx or 3xx status; `https://`, `rtsp://` and
//! `rtmp://` must accept a TCP connection on their port (a TLS handshake
//! would need the gateways' certificate roots, and RTSP its own dialogue:
//! reaching the port is what the probe can say for them).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `GET path` on `host:port`.
    Http {
        /// Host name or address (IPv6 without brackets).
        host: String,
        /// Port.
        port: u16,
        /// Path and query, from `/`.
        path: String,
    },
    /// A TCP connection to `host:port`.
    Tcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
}

/// The target of a stream URL, or why it cannot be probed.
pub fn target(url: &str) -> Result<Target, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url:?} has no scheme"))?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        "rtsp" => 554,
        "rtmp" => 1935,
        other => return Err(format!("cannot probe a {other}:// URL")),
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    // user:password@ is credentials, not the host.
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{url:?}: unclosed [ in the host"))?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    let port = match port {
        Some(p) => p.parse().map_err(|_| format!("{url:?}: bad port {p:?}"))?,
        None => default_port,
    };
    let host = host.to_owned();
    Ok(if scheme.eq_ignore_ascii_case("http") {
        let path = path.split('#').next().unwrap_or("/");
        Target::Http {
            host,
            port,
            path: if path.starts_with('/') {
                path.to_owned()
            } else {
                format!("/{path}")
            },
        }
    } else {
        Target::Tcp { host, port }
    })
}

/// Whether the stream at `url` answers within `timeout`.
pub async fn probe(url: &str, timeout: Duration) -> bool {
    let Ok(target) = target(url) else {
        return false;
    };
    matches!(
        tokio::time::timeout(timeout, reach(&target)).await,
        Ok(Ok(true))
    )
}

async fn reach(target: &Target) -> std::io::Result<bool> {
    match target {
        Target::Tcp { host, port } => {
            TcpStream::connect((host.as_str(), *port)).await?;
            Ok(true)
        }
        Target::Http { host, port, path } => {
            let mut tcp = TcpStream::connect((host.as_str(), *port)).await?;
            let host_header = if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            };
            let request = format!(
                "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: riskmap-probe\r\n\
                 Accept: */*\r\nConnection: close\r\n\r\n"
            );
            tcp.write_all(request.as_bytes()).await?;
            // The status line is all the probe reads.
            let mut head = [0u8; 64];
            let mut n = 0;
            while n < 12 {
                let got = tcp.read(&mut head[n..]).await?;
                if got == 0 {
                    break;
                }
                n += got;
            }
            Ok(status_ok(&head[..n]))
        }
    }
}

/// Whether an HTTP response begins with a 2xx or 3xx status line.
fn status_ok(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let mut parts = text.split(' ');
    matches!(parts.next(), Some(v) if v.starts_with("HTTP/1."))
        && matches!(parts.next().and_then(|s| s.chars().next()), Some('2' | '3'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn urls_become_targets() {
        let http = |host: &str, port, path: &str| Target::Http {
            host: host.into(),
            port,
            path: path.into(),
        };
        assert_eq!(
            target("http://gw.example/live/c1/index.m3u8?token=a#x"),
            Ok(http("gw.example", 80, "/live/c1/index.m3u8?token=a"))
        );
        assert_eq!(
            target("http://10.0.0.2:8080"),
            Ok(http("10.0.0.2", 8080, "/"))
        );
        assert_eq!(target("HTTP://[::1]:9/a"), Ok(http("::1", 9, "/a")));
        assert_eq!(
            target("rtsp://admin:secret@192.168.1.64/Streaming/Channels/101"),
            Ok(Target::Tcp {
                host: "192.168.1.64".into(),
                port: 554
            })
        );
        assert_eq!(
            target("https://gw:8443/x.m3u8"),
            Ok(Target::Tcp {
                host: "gw".into(),
                port: 8443
            })
        );
        for bad in [
            "gw/x.m3u8",
            "ftp://gw/x",
            "http://:80/x",
            "http://gw:99999/",
            "http://[::1/",
        ] {
            assert!(target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses() {
        assert!(status_ok(b"HTTP/1.1 200 OK\r\n"));
        assert!(status_ok(b"HTTP/1.0 302 Found"));
        assert!(!status_ok(b"HTTP/1.1 404 Not Found"));
        assert!(!status_ok(b"SSH-2.0-OpenSSH"));
        assert!(!status_ok(b""));
    }

    /// A server answering every connection with `status`, once.
    async fn answering(status: &'static str) -> String {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes())
                    .await;
            }
        });
        format!("http://{addr}/live.m3u8")
    }

    #[tokio::test]
    async fn probes_answer_what_the_stream_does() {
        let t = Duration::from_secs(2);
        assert!(probe(&answering("200 OK").await, t).await);
        assert!(!probe(&answering("404 Not Found").await, t).await);
        // Nobody listening.
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let closed = format!("http://{}/x.m3u8", l.local_addr().unwrap());
        drop(l);
        assert!(!probe(&closed, t).await);
        // Accepting but never answering: the timeout.
        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x.m3u8", silent.local_addr().unwrap());
        assert!(!probe(&url, Duration::from_millis(200)).await);
        drop(silent);
    }
}

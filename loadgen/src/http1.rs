//! A minimal HTTP/1.1 keep-alive client for the load loops: one request at a
//! time per connection, `Content-Length` or chunked bodies.
//!
//! Why not reqwest here: the load generator shares the machine's two cores
//! with the server, and every microsecond the client spends per request is
//! taken from the server. A request here is one `write` and usually one
//! `read`; reqwest (hyper, its pool and its header maps) costs several times
//! that. The Redis and PostgreSQL loops are equally lean (RESP over a socket,
//! tokio-postgres with a prepared statement), so the comparison stays fair.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An HTTP/1.1 connection to one server.
pub struct Conn {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

/// A response: status and body.
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Conn {
    /// Connects to `host:port` (as in a base URL `http://host:port`).
    pub async fn connect(base: &str) -> io::Result<Conn> {
        let host = base
            .strip_prefix("http://")
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{base}: only http:// URLs"),
                )
            })?
            .trim_end_matches('/')
            .to_owned();
        let stream = TcpStream::connect(&host).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            host,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// `GET path` with optional extra header lines (each ending in CRLF).
    pub async fn get(&mut self, path: &str, headers: &str) -> io::Result<Response> {
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\n{headers}\r\n",
            self.host
        );
        self.stream.write_all(req.as_bytes()).await?;
        self.read_response().await
    }

    /// `POST path` with a JSON body and optional extra header lines.
    pub async fn post_json(
        &mut self,
        path: &str,
        headers: &str,
        body: &[u8],
    ) -> io::Result<Response> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        self.stream.write_all(head.as_bytes()).await?;
        self.stream.write_all(body).await?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> io::Result<Response> {
        // Headers: read until the blank line.
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end])
            .map_err(|_| bad("response headers are not UTF-8"))?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| bad("no status line"))?;
        let mut length = None;
        let mut chunked = false;
        for line in head.split("\r\n").skip(1) {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.eq_ignore_ascii_case("content-length") {
                length = Some(
                    v.trim()
                        .parse::<usize>()
                        .map_err(|_| bad("bad content-length"))?,
                );
            } else if k.eq_ignore_ascii_case("transfer-encoding")
                && v.to_ascii_lowercase().contains("chunked")
            {
                chunked = true;
            }
        }
        self.buf.drain(..head_end);
        let body = if chunked {
            self.read_chunked().await?
        } else {
            let n = length.unwrap_or(0);
            while self.buf.len() < n {
                self.fill().await?;
            }
            self.buf.drain(..n).collect()
        };
        Ok(Response { status, body })
    }

    async fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf, b"\r\n") {
                    break i;
                }
                self.fill().await?;
            };
            let size_text =
                std::str::from_utf8(&self.buf[..line_end]).map_err(|_| bad("bad chunk size"))?;
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("bad chunk size"))?;
            self.buf.drain(..line_end + 2);
            while self.buf.len() < size + 2 {
                self.fill().await?;
            }
            body.extend_from_slice(&self.buf[..size]);
            self.buf.drain(..size + 2);
            if size == 0 {
                return Ok(body);
            }
        }
    }

    async fn fill(&mut self) -> io::Result<()> {
        // Straight into the buffer's spare room (no stack buffer: that would
        // make every request's future 16 KiB larger).
        self.buf.reserve(16 * 1024);
        let n = self.stream.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        Ok(())
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

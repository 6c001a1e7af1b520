//! A tiny Redis client: RESP2 commands over one TCP connection, enough for
//! GEOADD (pipelined) and GEOSEARCH.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A RESP reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`.
    Simple(String),
    /// `-ERR …`.
    Error(String),
    /// `:1`.
    Integer(i64),
    /// `$n …` (None for the null bulk string).
    Bulk(Option<Vec<u8>>),
    /// `*n …` (None for the null array).
    Array(Option<Vec<Reply>>),
}

/// One connection.
pub struct Redis {
    stream: TcpStream,
    buf: Vec<u8>,
    pos: usize,
}

impl Redis {
    /// Connects to `host:port`.
    pub async fn connect(addr: &str) -> io::Result<Redis> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Redis {
            stream,
            buf: Vec::with_capacity(16 * 1024),
            pos: 0,
        })
    }

    /// Sends one command and reads its reply.
    pub async fn command(&mut self, args: &[&[u8]]) -> io::Result<Reply> {
        let mut out = Vec::with_capacity(64);
        encode(&mut out, args);
        self.stream.write_all(&out).await?;
        self.read_reply().await
    }

    /// Sends many commands at once and reads every reply (pipelining).
    pub async fn pipeline(&mut self, commands: &[Vec<Vec<u8>>]) -> io::Result<Vec<Reply>> {
        let mut out = Vec::new();
        for c in commands {
            let args: Vec<&[u8]> = c.iter().map(Vec::as_slice).collect();
            encode(&mut out, &args);
        }
        self.stream.write_all(&out).await?;
        let mut replies = Vec::with_capacity(commands.len());
        for _ in commands {
            replies.push(self.read_reply().await?);
        }
        Ok(replies)
    }

    async fn read_reply(&mut self) -> io::Result<Reply> {
        loop {
            let mut at = self.pos;
            if let Some(r) = parse(&self.buf, &mut at)? {
                self.pos = at;
                if self.pos == self.buf.len() {
                    self.buf.clear();
                    self.pos = 0;
                }
                return Ok(r);
            }
            self.buf.reserve(16 * 1024);
            let n = self.stream.read_buf(&mut self.buf).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "redis closed the connection",
                ));
            }
        }
    }
}

fn encode(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Parses one reply at `*at`; `Ok(None)` if more bytes are needed.
fn parse(buf: &[u8], at: &mut usize) -> io::Result<Option<Reply>> {
    let Some(line_end) = buf[*at..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|i| *at + i)
    else {
        return Ok(None);
    };
    let Some(&kind) = buf.get(*at) else {
        return Ok(None);
    };
    let line = std::str::from_utf8(&buf[*at + 1..line_end])
        .map_err(|_| bad("reply line is not UTF-8"))?
        .to_owned();
    let after = line_end + 2;
    let number = || line.parse::<i64>().map_err(|_| bad("bad length in reply"));
    let reply = match kind {
        b'+' => Reply::Simple(line),
        b'-' => Reply::Error(line),
        b':' => Reply::Integer(number()?),
        b'$' => {
            let n = number()?;
            if n < 0 {
                Reply::Bulk(None)
            } else {
                let n = usize::try_from(n).map_err(|_| bad("bad bulk length"))?;
                if buf.len() < after + n + 2 {
                    return Ok(None);
                }
                *at = after + n + 2;
                return Ok(Some(Reply::Bulk(Some(buf[after..after + n].to_vec()))));
            }
        }
        b'*' => {
            let n = number()?;
            if n < 0 {
                Reply::Array(None)
            } else {
                let mut items = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(1024));
                let mut cursor = after;
                for _ in 0..n {
                    match parse(buf, &mut cursor)? {
                        Some(r) => items.push(r),
                        None => return Ok(None),
                    }
                }
                *at = cursor;
                return Ok(Some(Reply::Array(Some(items))));
            }
        }
        other => return Err(bad(&format!("unknown reply type {:?}", char::from(other)))),
    };
    *at = after;
    Ok(Some(reply))
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_replies_and_waits_for_more() {
        let full = b"*2\r\n*2\r\n$2\r\nS1\r\n$4\r\n12.5\r\n*2\r\n$2\r\nS2\r\n$3\r\n200\r\n";
        let mut at = 0;
        let r = parse(full, &mut at).expect("valid").expect("complete");
        assert_eq!(at, full.len());
        match r {
            Reply::Array(Some(items)) => assert_eq!(items.len(), 2),
            other => panic!("{other:?}"),
        }
        for cut in 1..full.len() {
            let mut at = 0;
            assert!(parse(&full[..cut], &mut at).expect("valid").is_none());
        }
        let mut at = 0;
        assert_eq!(
            parse(b"-ERR nope\r\n", &mut at).expect("valid"),
            Some(Reply::Error("ERR nope".into()))
        );
    }
}

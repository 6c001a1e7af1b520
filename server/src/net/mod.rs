//! The network edge: listeners (plain with Nagle off, or TLS), the peer
//! address each connection carries (and, behind trusted proxies, the
//! client's), the address clients reach the server by ([`public_url`]),
//! serving a router on a listener ([`serve`]), and probing a camera's
//! stream ([`probe`]).

pub mod probe;
pub mod proxies;
pub mod public_url;
pub mod serve;
pub mod tls;

use std::net::SocketAddr;

use tokio::net::TcpListener;

pub use serve::serve_on;

/// The peer of a connection, plain or TLS (what `ConnectInfo` carries:
/// [`serve_on`] puts it on every request).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// Marks the requests of a listener that terminates TLS itself
/// (`--tls-cert`): links to this server are https even where a request says
/// nothing of its scheme (HTTP/1.1).
#[derive(Debug, Clone, Copy)]
pub struct OverTls;

/// Turns Nagle's algorithm off on an accepted connection. Live pushes and
/// acks are small frames written one at a time: with Nagle on, a frame
/// written while the previous one is unacknowledged waits for the peer's
/// delayed ACK (40 ms on Linux), which showed as tens of milliseconds of
/// fix → viewer latency under load (docs/PERFORMANCE.md).
pub fn no_delay(tcp: &mut tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
}

/// A TCP listener whose connections have Nagle's algorithm off.
pub struct NoDelayListener(pub TcpListener);

impl axum::serve::Listener for NoDelayListener {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (mut tcp, addr) = axum::serve::Listener::accept(&mut self.0).await;
        no_delay(&mut tcp);
        (tcp, addr)
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

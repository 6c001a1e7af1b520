//! The network edge: listeners (plain with Nagle off, or TLS), the peer
//! address each connection carries (and, behind trusted proxies, the
//! client's), and serving a router on a listener.

pub mod proxies;
pub mod tls;

use std::net::SocketAddr;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::net::TcpListener;
use tokio::sync::watch;

use tls::TlsListener;

/// The peer of a connection, plain or TLS (what `ConnectInfo` carries).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl Connected<IncomingStream<'_, NoDelayListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, NoDelayListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

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

/// Serves `router` on `listener` until `stop` turns true, then lets the
/// requests under way finish.
pub async fn serve_on<L>(listener: L, router: axum::Router, mut stop: watch::Receiver<bool>)
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    Peer: for<'a> Connected<IncomingStream<'a, L>>,
{
    let service = router.into_make_service_with_connect_info::<Peer>();
    let result = axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "listener failed");
    }
}

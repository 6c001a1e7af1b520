//! Serving a router on a listener, with the limits axum's own `serve`
//! leaves out: a client must send a request's headers within a time limit
//! (a slow-loris trickle holds no connection), which also closes keep-alive
//! connections that sit idle; and shutdown stops accepting, then lets the
//! requests under way finish.

use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::sync::watch;
use tower::ServiceExt as _;

use super::Peer;

/// Serves `router` on `listener` until `stop` turns true, then lets the
/// requests under way finish. `header_read` bounds how long a client may
/// take to send a request's headers, and how long a keep-alive connection
/// may wait idle for its next request.
pub async fn serve_on<L>(
    mut listener: L,
    router: Router,
    mut stop: watch::Receiver<bool>,
    header_read: Duration,
) where
    L: Listener<Addr = SocketAddr>,
{
    // Each connection holds a receiver; all gone = all connections done.
    let (all_done, done_rx) = watch::channel(());
    loop {
        let (io, addr) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|s| *s) => break,
        };
        let service = router
            .clone()
            .map_request(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(Peer(addr)));
                req.map(Body::new)
            });
        let service = TowerToHyperService::new(service);
        let (mut stop, done) = (stop.clone(), done_rx.clone());
        tokio::spawn(async move {
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read);
            // HTTP/2 WebSockets need the CONNECT protocol (as axum's serve).
            builder
                .http2()
                .timer(TokioTimer::new())
                .enable_connect_protocol();
            let mut conn = pin!(builder.serve_connection_with_upgrades(TokioIo::new(io), service));
            let mut stopping = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    _ = stop.wait_for(|s| *s), if !stopping => {
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(done);
        });
    }
    drop(done_rx);
    all_done.closed().await;
}

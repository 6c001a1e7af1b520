//! Start-up of a cluster node (`--cluster`): joining the log before the
//! snapshot is loaded, and the relay, the follower and the lease's jobs once
//! the App exists.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::ServeError;
use crate::app::App;
use crate::cluster::{self, ClusterError, Joined};
use crate::config::ServeArgs;
use crate::store::Store;

/// Joins the cluster if `--cluster` is given: before the node loads from the
/// store, so that the log's position read now is one its snapshot covers.
pub(super) async fn join(
    args: &ServeArgs,
    store: &dyn Store,
) -> Result<Option<Joined>, ServeError> {
    let Some(url) = &args.cluster else {
        return Ok(None);
    };
    if store.kind() != "postgis" {
        return Err(ClusterError::NeedsPostgres.into());
    }
    let node = args
        .node_id
        .clone()
        .unwrap_or_else(|| default_node_id(args));
    Ok(Some(
        cluster::join(url, &node, args.cluster_replicas).await?,
    ))
}

/// The node id when none is given: the host's name and the listener's port.
fn default_node_id(args: &ServeArgs) -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".to_owned());
    format!("{host}:{}", args.listen.port())
}

/// Starts a node's relay, follower and lease jobs (nothing for a single
/// server). Returns their tasks and, on a node, whether it holds the lease
/// (for the demo simulator).
pub(super) async fn start(
    app: &Arc<App>,
    joined: Option<Joined>,
    args: &ServeArgs,
    stop: &watch::Receiver<bool>,
) -> Result<(Vec<JoinHandle<()>>, Option<watch::Receiver<bool>>), ServeError> {
    let Some(joined) = joined else {
        return Ok((Vec::new(), None));
    };
    let database_url = super::load::database_url(&args.store())?.unwrap_or_default();
    let Joined {
        log,
        before_load,
        link,
        committed,
    } = joined;
    // What the stream holds now, the node has to apply before it is ready.
    let target = log.last_sequence().await?;
    let (holder_tx, holder) = watch::channel(false);
    let tasks = vec![
        tokio::spawn(cluster::relay::run(
            log.clone(),
            app.store.clone(),
            link,
            committed,
            stop.clone(),
        )),
        tokio::spawn(cluster::follow::run(
            app.clone(),
            log.clone(),
            before_load + 1,
            target,
            stop.clone(),
        )),
        tokio::spawn(cluster::jobs::run(
            app.clone(),
            log,
            database_url,
            args.track_retention_days,
            holder_tx,
            stop.clone(),
        )),
    ];
    Ok((tasks, Some(holder)))
}

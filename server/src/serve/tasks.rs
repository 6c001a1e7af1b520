//! The background tasks: the hub's tick, the incident clock, track
//! retention, and in demo mode the simulator. Each ends when the stop signal
//! turns true.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::clock::now_ms;
use crate::config::ServeArgs;

/// The background tasks: the hub's tick, the incident clock, track
/// retention, and in demo mode the simulator.
pub(super) fn spawn_background(
    app: &Arc<App>,
    args: &ServeArgs,
    people: crate::simulator::People,
    stop: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let mut tasks = vec![
        tokio::spawn(tick_loop(app.clone(), stop.clone())),
        tokio::spawn(incident_clock_loop(app.clone(), stop.clone())),
        tokio::spawn(retention_loop(
            app.clone(),
            args.track_retention_days,
            stop.clone(),
        )),
    ];
    if args.demo && !args.no_simulator {
        tasks.push(tokio::spawn(crate::simulator::run(
            app.clone(),
            Duration::from_secs(args.sim_interval_s.max(1)),
            people.clone(),
            stop.clone(),
        )));
        if args.sim_incident_every_s > 0 {
            tasks.push(tokio::spawn(crate::simulator::run_incidents(
                app.clone(),
                Duration::from_secs(args.sim_incident_every_s),
                people,
                stop.clone(),
            )));
        }
    }
    tasks
}

async fn tick_loop(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(app.hub.tick_interval());
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let engine = app.engine.read();
        app.hub.tick(&engine);
    }
}

/// The incident clock: warning levels re-read and statistics pushed, once a
/// second.
async fn incident_clock_loop(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let now = now_ms();
        app.incident_clock(now);
        app.push_incident_stats(now);
    }
}

async fn retention_loop(app: Arc<App>, days: u32, mut stop: watch::Receiver<bool>) {
    // First a minute after start (not at once: a restart loop should not
    // turn into a delete loop), then hourly.
    let first = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut every = tokio::time::interval_at(first, Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let before = now_ms() - i64::from(days) * 24 * 3600 * 1000;
        match app.store.prune_tracks(before).await {
            Ok(n) if n > 0 => tracing::info!(deleted = n, days, "pruned old track fixes"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning tracks failed"),
        }
    }
}

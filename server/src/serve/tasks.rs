//! The background tasks: the hub's tick, the incident clock, the alert
//! repeat, track retention, and in demo mode the simulator. Each ends when the stop signal
//! turns true, and each is supervised: one that panics is logged, counted
//! and restarted (a dead tick would stop all live push until someone
//! restarted the server).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::clock::now_ms;
use crate::config::ServeArgs;
use crate::live::census::CENSUS_EVERY;
use crate::metrics::Metrics;

/// The background tasks: the hub's tick, the incident clock, track
/// retention, and in demo mode the simulator. On a cluster node (`lease`
/// given) retention is one of the lease's jobs, and the simulator runs only
/// while this node holds the lease (the walkers' fixes reach the other
/// nodes through the log; two simulators would walk everyone twice).
pub(super) fn spawn_background(
    app: &Arc<App>,
    args: &ServeArgs,
    people: crate::simulator::People,
    lease: Option<watch::Receiver<bool>>,
    stop: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let days = args.track_retention_days;
    let metrics = &app.metrics;
    let with = |app: &Arc<App>| (app.clone(), stop.clone());
    let mut tasks = live_tasks(app, stop);
    let (a, s) = with(app);
    tasks.push(supervised(
        "incident clock",
        metrics.clone(),
        stop.clone(),
        move || incident_clock_loop(a.clone(), s.clone()),
    ));
    let (a, s) = with(app);
    tasks.push(supervised(
        "ended sessions",
        metrics.clone(),
        stop.clone(),
        move || ended_sessions_loop(a.clone(), s.clone()),
    ));
    tasks.extend(risk_tasks(app, stop));
    let (a, s) = with(app);
    tasks.push(supervised(
        "alert repeat",
        metrics.clone(),
        stop.clone(),
        move || alert_repeat_loop(a.clone(), s.clone()),
    ));
    if lease.is_none() {
        let (a, s) = with(app);
        tasks.push(supervised(
            "track retention",
            metrics.clone(),
            stop.clone(),
            move || retention_loop(a.clone(), days, s.clone()),
        ));
    }
    tasks.extend(escalation_task(app, args, lease.clone(), stop));
    tasks.extend(patrol_alert_task(app, args, lease.clone(), stop));
    // Once: today's patrols from the stored tracks (live fixes wait), and
    // the grids' cells for the coverage figures (off the engine's lock; not
    // before the server is ready, a city's 50,000 grids take seconds).
    let a = app.clone();
    tasks.push(tokio::spawn(async move { a.replay_patrol().await }));
    let a = app.clone();
    tasks.push(tokio::task::spawn_blocking(move || a.count_patrol_cells()));
    let (a, s) = with(app);
    tasks.push(supervised(
        "call-backs",
        metrics.clone(),
        stop.clone(),
        move || callback_loop(a.clone(), s.clone()),
    ));
    if args.camera_probe_s > 0 {
        let every = Duration::from_secs(args.camera_probe_s);
        let timeout = Duration::from_millis(args.camera_probe_timeout_ms.max(1));
        let (a, s, l) = (app.clone(), stop.clone(), lease.clone());
        tasks.push(supervised(
            "camera probes",
            metrics.clone(),
            stop.clone(),
            move || {
                let (a, s) = (a.clone(), s.clone());
                while_holding(l.clone(), s.clone(), move || {
                    camera_probe_loop(a.clone(), every, timeout, s.clone())
                })
            },
        ));
    }
    if args.demo && !args.no_simulator {
        let every = Duration::from_secs(args.sim_interval_s.max(1));
        let (a, s, walkers, l) = (app.clone(), stop.clone(), people.clone(), lease.clone());
        tasks.push(supervised(
            "simulator",
            metrics.clone(),
            stop.clone(),
            move || {
                let (a, s, walkers) = (a.clone(), s.clone(), walkers.clone());
                while_holding(l.clone(), s.clone(), move || {
                    crate::simulator::run(a.clone(), every, walkers.clone(), s.clone())
                })
            },
        ));
        if args.sim_incident_every_s > 0 {
            let every = Duration::from_secs(args.sim_incident_every_s);
            let (a, s) = with(app);
            tasks.push(supervised(
                "simulated incidents",
                metrics.clone(),
                stop.clone(),
                move || {
                    let (a, s, people) = (a.clone(), s.clone(), people.clone());
                    while_holding(lease.clone(), s.clone(), move || {
                        crate::simulator::run_incidents(a.clone(), every, people.clone(), s.clone())
                    })
                },
            ));
        }
    }
    tasks
}

/// Runs `task` while this node holds the lease (always, without one):
/// started when the lease is taken, dropped when it is lost, until `stop`.
async fn while_holding<F, Fut>(
    lease: Option<watch::Receiver<bool>>,
    mut stop: watch::Receiver<bool>,
    task: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(mut held) = lease else {
        return task().await;
    };
    loop {
        tokio::select! {
            taken = held.wait_for(|h| *h) => if taken.is_err() { return },
            _ = stop.wait_for(|s| *s) => return,
        }
        tokio::select! {
            () = task() => return,
            _ = held.wait_for(|h| !*h) => {}
        }
    }
}

/// Runs a background task, and runs it again (after a pause that doubles up
/// to a minute) whenever it panics, until it ends on the stop signal.
fn supervised<F, Fut>(
    name: &'static str,
    metrics: Arc<Metrics>,
    stop: watch::Receiver<bool>,
    task: F,
) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut pause = Duration::from_secs(1);
        loop {
            let run = AbortOnDrop(tokio::spawn(task()));
            match run.join().await {
                Err(e) if e.is_panic() && !*stop.borrow() => {
                    Metrics::add(&metrics.task_restarts, 1);
                    tracing::error!(
                        task = name,
                        retry_in_s = pause.as_secs(),
                        "a background task panicked; restarting it"
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(60));
                }
                _ => return,
            }
        }
    })
}

/// A task aborted when its supervisor is (at shutdown, after the grace).
struct AbortOnDrop(JoinHandle<()>);

impl AbortOnDrop {
    async fn join(mut self) -> Result<(), tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A background task's timer that ends with the server's stop signal. A
/// tick that comes late (a slow round) is delayed, not bunched up.
struct Ticker {
    every: tokio::time::Interval,
    stop: watch::Receiver<bool>,
}

impl Ticker {
    /// The first tick at once, then every `period`.
    fn now(period: Duration, stop: watch::Receiver<bool>) -> Self {
        Self::at(tokio::time::Instant::now(), period, stop)
    }

    /// The first tick after `first`, then every `period`.
    fn after(first: Duration, period: Duration, stop: watch::Receiver<bool>) -> Self {
        Self::at(tokio::time::Instant::now() + first, period, stop)
    }

    fn at(start: tokio::time::Instant, period: Duration, stop: watch::Receiver<bool>) -> Self {
        let mut every = tokio::time::interval_at(start, period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self { every, stop }
    }

    /// Waits for the next tick: false once the server is stopping (a
    /// stop wins over a tick that is due at the same moment).
    async fn next(&mut self) -> bool {
        tokio::select! {
            biased;
            _ = self.stop.wait_for(|s| *s) => false,
            _ = self.every.tick() => true,
        }
    }
}

async fn tick_loop(app: Arc<App>, stop: watch::Receiver<bool>) {
    let mut ticks = Ticker::now(app.hub.tick_interval(), stop);
    while ticks.next().await {
        app.hub.tick(|| app.engine.read());
    }
}

/// The staff census (人员分布) every [`CENSUS_EVERY`] while anyone watches
/// it, on a blocking thread: a pass reads every member.
async fn census_loop(app: Arc<App>, stop: watch::Receiver<bool>) {
    let mut ticks = Ticker::after(CENSUS_EVERY, CENSUS_EVERY, stop);
    while ticks.next().await {
        let a = app.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || a.census_pass()).await {
            tracing::warn!(error = %e, "staff census pass failed");
        }
    }
}

/// How often open sockets' sessions are checked against the store.
const SESSION_SWEEP: Duration = Duration::from_secs(2);

/// Closes, every [`SESSION_SWEEP`], the sockets whose sessions the store no
/// longer holds (`App::close_ended_sessions`).
async fn ended_sessions_loop(app: Arc<App>, stop: watch::Receiver<bool>) {
    let mut ticks = Ticker::now(SESSION_SWEEP, stop);
    while ticks.next().await {
        // A store that does not answer now will later: the sockets keep
        // their sessions until it does (as requests do, auth/sessions.rs).
        if let Err(e) = app.close_ended_sessions().await {
            tracing::debug!(error = %e, "checking open sockets' sessions");
        }
    }
}

/// Open alerts pushed again until someone takes them. Every node repeats
/// to its own viewers (each holds every alert through the log).
async fn alert_repeat_loop(app: Arc<App>, stop: watch::Receiver<bool>) {
    let every = crate::app::alerts::REPEAT_EVERY;
    let mut ticks = Ticker::after(every, every, stop);
    while ticks.next().await {
        app.repeat_open_alerts();
    }
}

/// How often due call-backs are looked for when no change woke the loop.
const CALLBACK_SWEEP: Duration = Duration::from_secs(1);

/// 一网反馈: sends the call-backs due, on every node (each attempt is
/// claimed in the store first), woken early by a change that owes one.
async fn callback_loop(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    loop {
        match app.deliver_callbacks().await {
            // A full pass: more are due now.
            Ok(n) if n >= crate::app::channels::callbacks::PASS as usize => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "call-backs: the store failed; trying again"),
        }
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => return,
            () = app.channels.owed.notified() => {}
            () = tokio::time::sleep(CALLBACK_SWEEP) => {}
        }
    }
}

/// The risk model's passes, on every node (each keeps its own board).
/// The hub's tick and the staff census: what pushes to viewers.
fn live_tasks(app: &Arc<App>, stop: &watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let (a, s) = (app.clone(), stop.clone());
    let tick = supervised("tick", app.metrics.clone(), stop.clone(), move || {
        tick_loop(a.clone(), s.clone())
    });
    let (a, s) = (app.clone(), stop.clone());
    let census = supervised(
        "staff census",
        app.metrics.clone(),
        stop.clone(),
        move || census_loop(a.clone(), s.clone()),
    );
    vec![tick, census]
}

fn risk_tasks(app: &Arc<App>, stop: &watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let (a, s) = (app.clone(), stop.clone());
    let refresh = supervised(
        "risk refresh",
        app.metrics.clone(),
        stop.clone(),
        move || risk_refresh_loop(a.clone(), s.clone()),
    );
    let (a, s) = (app.clone(), stop.clone());
    let snapshots = supervised(
        "risk snapshots",
        app.metrics.clone(),
        stop.clone(),
        move || risk_snapshot_loop(a.clone(), s.clone()),
    );
    vec![refresh, snapshots]
}

/// Every camera's stream probed, the changes committed (the first round at
/// once: a restart should not show a dead camera as live for a minute).
async fn camera_probe_loop(
    app: Arc<App>,
    every: Duration,
    timeout: Duration,
    stop: watch::Receiver<bool>,
) {
    let mut ticks = Ticker::now(every, stop);
    while ticks.next().await {
        match app.probe_cameras(timeout).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(cameras = n, "cameras went online or offline"),
            Err(e) => tracing::warn!(error = %e, "recording camera probes failed"),
        }
    }
}

/// The escalation clock, unless turned off: on one node of a cluster (the
/// lease's), as each move is one change every node applies.
fn escalation_task(
    app: &Arc<App>,
    args: &ServeArgs,
    lease: Option<watch::Receiver<bool>>,
    stop: &watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    on_lease_holder(
        app,
        ("escalation clock", args.escalation_check_s),
        lease,
        stop,
        escalation_loop,
    )
}

/// The patrol rules' alerts (未按时入格, 逾期未检), on one node.
fn patrol_alert_task(
    app: &Arc<App>,
    args: &ServeArgs,
    lease: Option<watch::Receiver<bool>>,
    stop: &watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    on_lease_holder(
        app,
        ("patrol alerts", args.patrol_alert_check_s),
        lease,
        stop,
        patrol_alert_loop,
    )
}

/// A pass every `every_s` seconds (none if 0), supervised, run only while
/// this node holds the lease (always without a cluster).
fn on_lease_holder<F, Fut>(
    app: &Arc<App>,
    (name, every_s): (&'static str, u64),
    lease: Option<watch::Receiver<bool>>,
    stop: &watch::Receiver<bool>,
    pass: F,
) -> Option<JoinHandle<()>>
where
    F: Fn(Arc<App>, Duration, watch::Receiver<bool>) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if every_s == 0 {
        return None;
    }
    let every = Duration::from_secs(every_s);
    let (a, s) = (app.clone(), stop.clone());
    Some(supervised(
        name,
        app.metrics.clone(),
        stop.clone(),
        move || {
            let (a, s) = (a.clone(), s.clone());
            while_holding(lease.clone(), s.clone(), move || {
                pass(a.clone(), every, s.clone())
            })
        },
    ))
}

async fn patrol_alert_loop(app: Arc<App>, every: Duration, stop: watch::Receiver<bool>) {
    let mut ticks = Ticker::after(every, every, stop);
    while ticks.next().await {
        let n = app.raise_patrol_alerts(now_ms()).await;
        if n > 0 {
            tracing::info!(alerts = n, "patrol rules' alerts raised");
        }
    }
}

/// 超时自动上报: incidents red too long moved up a level, on one node.
async fn escalation_loop(app: Arc<App>, every: Duration, stop: watch::Receiver<bool>) {
    let mut ticks = Ticker::after(every, every, stop);
    while ticks.next().await {
        match app.escalate_overdue(now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(incidents = n, "overdue incidents escalated by the clock"),
            Err(e) => tracing::warn!(error = %e, "escalating overdue incidents failed"),
        }
    }
}

/// Every grid's risk re-read as incidents age; the changes pushed.
async fn risk_refresh_loop(app: Arc<App>, stop: watch::Receiver<bool>) {
    let every = crate::app::risk::REFRESH_EVERY;
    let mut ticks = Ticker::after(every, every, stop);
    while ticks.next().await {
        let a = app.clone();
        // Seconds of work on a large city: off the async workers.
        if let Err(e) = tokio::task::spawn_blocking(move || a.refresh_risk(now_ms())).await {
            tracing::warn!(error = %e, "refreshing the grid risk failed");
        }
    }
}

/// Today's risk snapshot of every grid, a minute after start and hourly
/// (every node writes the same rows; the day's last write stands).
async fn risk_snapshot_loop(app: Arc<App>, stop: watch::Receiver<bool>) {
    let every = crate::app::risk::SNAPSHOT_EVERY;
    let mut ticks = Ticker::after(Duration::from_secs(60), every, stop);
    while ticks.next().await {
        match app.record_risk_day(now_ms()).await {
            Ok(n) => tracing::debug!(grids = n, "risk snapshot written"),
            Err(e) => tracing::warn!(error = %e, "writing the risk snapshot failed"),
        }
    }
}

/// The incident clock: warning levels re-read and statistics pushed, once a
/// second.
async fn incident_clock_loop(app: Arc<App>, stop: watch::Receiver<bool>) {
    let mut ticks = Ticker::now(Duration::from_secs(1), stop);
    while ticks.next().await {
        let now = now_ms();
        app.incident_clock(now);
        app.push_incident_stats(now);
    }
}

async fn retention_loop(app: Arc<App>, days: u32, stop: watch::Receiver<bool>) {
    // First a minute after start (not at once: a restart loop should not
    // turn into a delete loop), then hourly.
    let mut ticks = Ticker::after(Duration::from_secs(60), Duration::from_secs(3600), stop);
    while ticks.next().await {
        let before = now_ms() - i64::from(days) * 24 * 3600 * 1000;
        match app.store.prune_tracks(before).await {
            Ok(n) if n > 0 => tracing::info!(deleted = n, days, "pruned old track fixes"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning tracks failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_ticker_waits_for_its_first_tick_and_ends_on_stop() {
        let (tx, rx) = watch::channel(false);
        let started = tokio::time::Instant::now();
        let mut ticks = Ticker::after(Duration::from_millis(50), Duration::from_millis(10), rx);
        assert!(ticks.next().await);
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert!(ticks.next().await);
        tx.send(true).unwrap();
        assert!(!ticks.next().await, "no tick once stopping");
    }

    /// A task that panics is run again; one that ends on the stop signal is
    /// not.
    #[tokio::test]
    async fn a_panicking_task_is_restarted() {
        let metrics = Arc::new(Metrics::default());
        let (stop_tx, stop) = watch::channel(false);
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        let signal = stop.clone();
        let handle = supervised("test", metrics.clone(), stop, move || {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            let mut signal = signal.clone();
            async move {
                assert!(n > 0, "the first run dies");
                let _ = signal.wait_for(|s| *s).await;
            }
        });
        tokio::time::timeout(Duration::from_secs(10), async {
            while runs.load(Ordering::SeqCst) < 2 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("run again after the panic");
        stop_tx.send(true).unwrap();
        handle.await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(metrics.task_restarts.load(Ordering::Relaxed), 1);
    }
}

//! For the lock-order tests: threads that take locks without pause, and a
//! watchdog. `parking_lot`'s locks are fair — a read waits behind a queued
//! writer — so two locks nested in opposite orders on two paths deadlock
//! as soon as writers queue between them; writers that never rest make that
//! moment come within a second. A deadlock cannot be undone inside the
//! process, so the watchdog ends it with the reason rather than letting
//! the test hang CI. And every turn of a server's semaphore held at once,
//! for the tests of work that waits for a turn.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// Threads each running their work without pause until [`Busy::stop`].
#[derive(Default)]
pub struct Busy {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Busy {
    /// Runs `work(0)`, `work(1)` … on a thread of its own.
    pub fn spin(&mut self, work: impl Fn(u64) + Send + 'static) {
        let stop = self.stop.clone();
        self.threads.push(std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                work(i);
                i += 1;
            }
        }));
    }

    /// Stops every thread and waits for them.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().expect("a busy thread panicked");
        }
    }
}

/// Ends the test process with `what` unless the returned sender is sent
/// to within 60 s. A test that fails drops the sender: that is not a hang.
#[must_use]
pub fn watchdog(what: &'static str) -> Sender<()> {
    let (done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(Duration::from_secs(60)) {
            eprintln!("{what}: hung for 60 s under busy writers (a deadlock)");
            std::process::exit(101);
        }
    });
    done
}

/// Takes every turn `turns` has free (the server's heavy queries or
/// snapshots): what needs one waits until the returned permit is dropped.
pub async fn every_turn(turns: &Arc<tokio::sync::Semaphore>) -> tokio::sync::OwnedSemaphorePermit {
    let free = u32::try_from(turns.available_permits()).expect("turns fit a u32");
    turns
        .clone()
        .acquire_many_owned(free)
        .await
        .expect("the server's turns are never closed")
}

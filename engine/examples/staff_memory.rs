//! Engine memory per staff member (docs/PERFORMANCE.md, "Scale"):
//!
//! ```text
//! cargo build --release --example staff_memory
//! for n in 10000 100000 1000000; do ./target/release/examples/staff_memory $n; done
//! ```
//!
//! Builds a [`StaffIndex`] of N staff as the benchmarks do (uniform over
//! Wenzhou's urban core, one device each, a last fix each) and reports the
//! growth of the process's resident memory divided by N. One size per process:
//! the allocator keeps freed memory, so a second index in the same process
//! would look cheaper than it is. Each member is generated, inserted and
//! dropped in turn, so only the index itself stays resident.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::ExitCode;

use riskmap_engine::StaffIndex;
use riskmap_engine::staff::Member;
use support::{WENZHOU_URBAN, point_in, random_staff, rng};

/// Resident memory of this process, bytes (Linux `/proc/self/statm`).
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // Every Linux this runs on uses 4 KiB pages.
    Some(pages * 4096)
}

fn main() -> ExitCode {
    let n: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 100_000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: staff_memory [N > 0]");
            return ExitCode::from(2);
        }
    };
    let Some(before) = rss_bytes() else {
        eprintln!("error: cannot read /proc/self/statm");
        return ExitCode::FAILURE;
    };
    let mut r = rng(7);
    let mut idx = StaffIndex::default();
    for i in 0..n {
        let p = point_in(&mut r, WENZHOU_URBAN);
        if let Err(e) = idx.upsert(&random_staff(&mut r, i, "g", Some(p), 1.0 / 3.0), None) {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    let after = rss_bytes().unwrap_or(before);
    let per = after.saturating_sub(before) as f64 / n as f64;
    println!(
        "{n} staff: resident memory +{:.1} MiB, {per:.0} bytes per staff member \
         (Member {} bytes inline)",
        after.saturating_sub(before) as f64 / f64::from(1 << 20),
        size_of::<Option<Member>>(),
    );
    // Keep the index alive until measured.
    drop(idx);
    ExitCode::SUCCESS
}

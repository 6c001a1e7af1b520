//! Latency histograms, the process figures read from `/proc`, and the
//! summary every mode prints (and writes as JSON with `--json`).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Value, json};

/// A latency histogram in microseconds, 1 µs to 60 s, 3 significant digits.
pub struct Latency(Histogram<u64>);

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

impl Latency {
    /// An empty histogram.
    #[must_use]
    pub fn new() -> Self {
        // The bounds are constants that hdrhistogram accepts; should it ever
        // refuse them, an auto-resizing histogram loses nothing but speed.
        Latency(
            Histogram::new_with_bounds(1, 60_000_000, 3)
                .or_else(|_| Histogram::new(3))
                .unwrap_or_else(|_| unreachable!("3 significant figures are valid")),
        )
    }

    /// Records one duration.
    pub fn record(&mut self, d: Duration) {
        self.record_us(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    /// Records one duration given in microseconds (clamped to the range).
    pub fn record_us(&mut self, us: u64) {
        let _ = self.0.record(us.clamp(1, 60_000_000));
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &Latency) {
        let _ = self.0.add(&other.0);
    }

    /// Samples recorded.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The value at a quantile, milliseconds.
    #[must_use]
    pub fn ms(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.value_at_quantile(q) as f64 / 1000.0
    }

    /// Mean, milliseconds.
    #[must_use]
    pub fn mean_ms(&self) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.mean() / 1000.0
    }

    /// Largest sample, milliseconds.
    #[must_use]
    pub fn max_ms(&self) -> f64 {
        self.0.max() as f64 / 1000.0
    }

    /// The usual quantiles as JSON (milliseconds).
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "count": self.count(),
            "mean_ms": round3(self.mean_ms()),
            "p50_ms": round3(self.ms(0.50)),
            "p90_ms": round3(self.ms(0.90)),
            "p99_ms": round3(self.ms(0.99)),
            "p999_ms": round3(self.ms(0.999)),
            "max_ms": round3(self.max_ms()),
        })
    }
}

/// Rounds to three decimals (JSON stays readable).
#[must_use]
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A process's memory and CPU time, read from `/proc`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcStat {
    /// Resident set, KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set, KiB (`VmHWM`).
    pub hwm_kib: u64,
    /// User plus system CPU time, seconds.
    pub cpu_s: f64,
}

impl ProcStat {
    /// Reads `/proc/PID/status` and `/proc/PID/stat`; `None` if the process
    /// is gone or this is not Linux.
    #[must_use]
    pub fn read(pid: u32) -> Option<ProcStat> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name may hold spaces and parentheses: fields are
        // counted from after its closing parenthesis (field 3 is the state;
        // utime and stime are fields 14 and 15).
        let after = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
        // Linux reports CPU time in clock ticks of 1/100 s on every
        // platform riskmap runs on (USER_HZ is fixed at 100 for user space).
        let cpu_s = (ticks(11)? + ticks(12)?) as f64 / 100.0;
        Some(ProcStat {
            rss_kib: kib("VmRSS:")?,
            hwm_kib: kib("VmHWM:")?,
            cpu_s,
        })
    }

    /// This process.
    #[must_use]
    pub fn own() -> Option<ProcStat> {
        Self::read(std::process::id())
    }
}

/// The measured part of a run: how long it lasted, and the CPU and memory
/// of the server and of loadgen itself over exactly that time.
pub struct Window {
    /// Wall time with `measuring` set.
    pub wall: Duration,
    server: (Option<ProcStat>, Option<ProcStat>),
    own: (Option<ProcStat>, Option<ProcStat>),
}

impl Window {
    /// Sets `measuring` for `duration` (the workers count only while it is
    /// set), reading the server's (`server_pid`) and this process's `/proc`
    /// figures on either side.
    pub async fn measure(
        duration: Duration,
        server_pid: Option<u32>,
        measuring: &AtomicBool,
    ) -> Window {
        let server_before = server_pid.and_then(ProcStat::read);
        let own_before = ProcStat::own();
        measuring.store(true, Ordering::Relaxed);
        let started = Instant::now();
        tokio::time::sleep(duration).await;
        measuring.store(false, Ordering::Relaxed);
        let wall = started.elapsed();
        Window {
            wall,
            server: (server_before, server_pid.and_then(ProcStat::read)),
            own: (own_before, ProcStat::own()),
        }
    }

    /// The report's `server` object (null without a server pid).
    #[must_use]
    pub fn server_json(&self) -> Value {
        self.cpu_json(self.server)
    }

    /// The report's `loadgen` object.
    #[must_use]
    pub fn own_json(&self) -> Value {
        self.cpu_json(self.own)
    }

    fn cpu_json(&self, (before, after): (Option<ProcStat>, Option<ProcStat>)) -> Value {
        match (before, after) {
            (Some(b), Some(a)) => json!({
                "rss_mib": round3(a.rss_kib as f64 / 1024.0),
                "hwm_mib": round3(a.hwm_kib as f64 / 1024.0),
                "cpu_s": round3(a.cpu_s - b.cpu_s),
                "cores_busy": round3((a.cpu_s - b.cpu_s) / self.wall.as_secs_f64().max(1e-9)),
            }),
            _ => Value::Null,
        }
    }
}

/// Prints a two-column table of a JSON object's scalar fields, nested
/// objects flattened with dots.
pub fn print_table(title: &str, v: &Value) {
    println!("== {title}");
    let mut rows = Vec::new();
    flatten("", v, &mut rows);
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, val) in rows {
        println!("  {k:<width$}  {val}");
    }
}

fn flatten(prefix: &str, v: &Value, rows: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, val, rows);
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            for (i, val) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), val, rows);
            }
        }
        other => rows.push((prefix.to_owned(), other.to_string())),
    }
}

/// Writes the JSON report if a path was given.
pub fn write_json(path: Option<&Path>, v: &Value) -> Result<(), String> {
    let Some(path) = path else {
        return Ok(());
    };
    let text = serde_json::to_string_pretty(v).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Milliseconds since the Unix epoch.
#[must_use]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Microseconds since the Unix epoch.
#[must_use]
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Reads a counter from Prometheus text (`name value`), 0 if absent.
#[must_use]
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (k, v) = l.split_once(' ')?;
            (k == name).then(|| v.trim().parse::<f64>().ok()).flatten()
        })
        .unwrap_or(0.0)
}

//! Progress bars for long builds: one per tree level and per layer, stacked
//! (some run side by side). Hidden when stderr is not a terminal (CI logs,
//! tests, redirected runs), so they never end up as noise in a file.

use std::io::IsTerminal;
use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// All bars of the process draw through one [`MultiProgress`], so bars
/// ticking at the same time from different threads do not overwrite each
/// other.
fn multi() -> &'static MultiProgress {
    static MULTI: OnceLock<MultiProgress> = OnceLock::new();
    MULTI.get_or_init(MultiProgress::new)
}

/// A bar of `len` steps labelled `what`, or a hidden one when stderr is not
/// a terminal.
#[must_use]
pub fn bar(len: usize, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = multi().add(ProgressBar::new(len as u64));
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>12} [{bar:40.cyan/blue}] {human_pos:>9}/{human_len:9} {elapsed_precise}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_owned());
    pb
}

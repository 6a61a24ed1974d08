//! The progress line of an import on stderr: rows done, percent of the file read, rows per second.
//!
//! The reader thread only stores two counters; a task prints them a few times a second, so that a
//! fast import does not spend its time writing to the terminal.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How often a terminal's line is redrawn (at most ~4 times a second), and how often a line is
/// appended when stderr is a log file (`--progress` without a terminal).
const TERMINAL_EVERY: Duration = Duration::from_millis(250);
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Where the import is: rows read from the file so far (in the whole file, resumed rows included),
/// and the byte offset reached.
#[derive(Debug, Default)]
pub struct Counters {
    rows: AtomicU64,
    byte: AtomicU64,
}

impl Counters {
    pub fn set(&self, rows: u64, byte: u64) {
        self.rows.store(rows, Ordering::Relaxed);
        self.byte.store(byte, Ordering::Relaxed);
    }
}

/// The line for `rows` rows of which `rows_this_run` were read in `elapsed`, at `byte` of `size`.
pub fn line(rows: u64, byte: u64, size: u64, rows_this_run: u64, elapsed: Duration) -> String {
    // Per mille in integers: 1 decimal of a percent.
    let per_mille = (u128::from(byte) * 1000)
        .checked_div(u128::from(size))
        .unwrap_or(1000)
        .min(1000);
    format!(
        "{rows} rows, {}.{}% of the file, {} rows/s",
        per_mille / 10,
        per_mille % 10,
        rate(rows_this_run, elapsed)
    )
}

/// Rows per second, rounded down.
pub fn rate(rows: u64, elapsed: Duration) -> u64 {
    let millis = elapsed.as_millis().max(1);
    u64::try_from(u128::from(rows) * 1000 / millis).unwrap_or(u64::MAX)
}

/// The task that prints the line until [`Printer::stop`].
pub struct Printer {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Printer {
    /// Starts printing `counters` for a file of `size` bytes, of which the rows up to `rows_before` were
    /// done by earlier runs. `terminal`: redraw one line in place rather than append lines.
    pub fn start(counters: Arc<Counters>, size: u64, rows_before: u64, terminal: bool) -> Self {
        let (stop, mut stopped) = oneshot::channel();
        let started = Instant::now();
        let every = if terminal { TERMINAL_EVERY } else { LOG_EVERY };
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await;
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = &mut stopped => break,
                }
                let rows = counters.rows.load(Ordering::Relaxed);
                let byte = counters.byte.load(Ordering::Relaxed);
                let text = line(
                    rows,
                    byte,
                    size,
                    rows.saturating_sub(rows_before),
                    started.elapsed(),
                );
                let mut stderr = std::io::stderr().lock();
                let _ = if terminal {
                    // Back to the start of the line, the text, then clear what a longer line left.
                    write!(stderr, "\r{text}\x1b[K")
                } else {
                    writeln!(stderr, "progress: {text}")
                };
                let _ = stderr.flush();
            }
            if terminal {
                let _ = write!(std::io::stderr(), "\r\x1b[K");
            }
        });
        Self { stop, task }
    }

    /// Stops printing and, on a terminal, clears the line.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_rows_percent_and_rate() {
        assert_eq!(
            line(12_000, 250, 1000, 6000, Duration::from_secs(2)),
            "12000 rows, 25.0% of the file, 3000 rows/s"
        );
        assert_eq!(
            line(1, 1, 3, 1, Duration::from_millis(500)),
            "1 rows, 33.3% of the file, 2 rows/s"
        );
        // An empty file is done; a file that grew while read does not pass 100 %.
        assert!(line(0, 0, 0, 0, Duration::ZERO).contains("100.0%"));
        assert!(line(5, 20, 10, 5, Duration::from_secs(1)).contains("100.0%"));
    }

    #[test]
    fn the_rate_never_divides_by_zero() {
        assert_eq!(rate(10, Duration::ZERO), 10_000);
        assert_eq!(rate(0, Duration::from_secs(3)), 0);
    }
}

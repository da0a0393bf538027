//! Progress on stderr: a spinner on a terminal, plain lines in a log.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::store::ingest::IngestEvent;

pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    pub fn new() -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
        }
    }

    pub fn say(&self, message: String) {
        match &self.bar {
            Some(bar) => bar.set_message(message),
            None => eprintln!("classlens: {message}"),
        }
    }

    pub fn ingest_event(&self, event: IngestEvent<'_>) {
        let message = match event {
            IngestEvent::Reading { file } => format!("reading {file}"),
            IngestEvent::Read { file, rows } => {
                format!("read {} rows from {file}", thousands(rows))
            }
            IngestEvent::Validating { table, rows } => {
                format!("checking {} {table} rows", thousands(rows))
            }
            IngestEvent::Writing { table, rows } => {
                format!("writing {} rows to {table}", thousands(rows))
            }
            IngestEvent::Committed => "committed".to_string(),
        };
        self.say(message);
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Work of a known size: a bar with the rate and time left on a terminal; in
/// a log, a line per update.
pub struct Counter {
    bar: Option<ProgressBar>,
    what: &'static str,
    started: Instant,
}

impl Counter {
    /// `what` names the items, plural ("texts").
    pub fn new(total: u64, what: &'static str) -> Counter {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            let template = format!(
                "{{bar:30}} {{human_pos}}/{{human_len}} {what} · {{per_sec:.0}} · {{eta}} left"
            );
            bar.set_style(
                ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Counter {
            bar,
            what,
            started: Instant::now(),
        }
    }

    pub fn set(&self, done: u64, total: u64) {
        match &self.bar {
            Some(bar) => {
                bar.set_length(total);
                bar.set_position(done);
            }
            None => {
                let rate = done as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
                eprintln!(
                    "classlens: {} of {} {} ({rate:.0}/s)",
                    thousands(done),
                    thousands(total),
                    self.what
                );
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(1234), "1,234");
        assert_eq!(super::thousands(10_000_000), "10,000,000");
    }
}

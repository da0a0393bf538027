use anyhow::Result;
use serde::Serialize;

use super::progress::thousands;
use crate::cli::{DbArgs, StatsArgs};
use crate::store::{ActivitySpan, Store, TableCount};

#[derive(Serialize)]
struct StatsJson {
    database: String,
    tables: Vec<TableCount>,
    activity: ActivitySpan,
}

pub fn run(db: &DbArgs, args: &StatsArgs) -> Result<()> {
    let store = super::open_for_reading(db)?;
    if args.json {
        let json = StatsJson {
            database: store.path().display().to_string(),
            tables: store.table_counts()?,
            activity: store.activity_span()?,
        };
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    print_counts(&store)
}

fn print_counts(store: &Store) -> Result<()> {
    println!("{}", store.path().display());
    for c in store.table_counts()? {
        println!("  {:<16} {:>12}", c.table, thousands(c.rows));
    }
    let span = store.activity_span()?;
    if let (Some(first), Some(last)) = (&span.first_activity, &span.last_activity) {
        println!("  activity from {first} to {last}");
    }
    if let Some(at) = &span.last_ingest {
        println!("  last ingest {at} UTC");
    }
    Ok(())
}

/// Counts plus one line per class.
pub fn print_summary(store: &Store) -> Result<()> {
    print_counts(store)?;
    let classes = store.class_overview()?;
    if classes.is_empty() {
        return Ok(());
    }
    println!();
    println!(
        "  {:<8} {:<10} {:>8} {:>10} {:>8} {:>10}",
        "class", "name", "students", "answers", "correct", "min video"
    );
    let shown = 25;
    for c in classes.iter().take(shown) {
        let rate = c
            .correct_rate
            .map(|r| format!("{:.0}%", r * 100.0))
            .unwrap_or_else(|| "-".into());
        println!(
            "  {:<8} {:<10} {:>8} {:>10} {:>8} {:>10}",
            c.class_id,
            c.name,
            c.students,
            thousands(c.responses),
            rate,
            thousands(c.minutes_watched.round() as u64)
        );
    }
    if classes.len() > shown {
        println!("  ... and {} more classes", classes.len() - shown);
    }
    Ok(())
}

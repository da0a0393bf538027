use anyhow::Result;

use super::progress::{Progress, thousands};
use crate::cli::{DbArgs, IngestArgs};
use crate::store::ingest::{IngestError, IngestOptions};

pub fn run(db: &DbArgs, args: IngestArgs) -> Result<()> {
    let mut store = super::open_for_writing(db)?;
    let options = IngestOptions {
        table: args.table.clone(),
        check_only: args.check,
        ..IngestOptions::default()
    };
    let progress = Progress::new();
    let result = store.ingest(&args.paths, &options, &mut |e| progress.ingest_event(e));
    progress.finish();
    // Scripts asking for JSON get the rejection as JSON too, on stdout, with
    // the same exit status.
    if let (true, Err(IngestError::Rejected(rejection))) = (args.json, &result) {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "rejected": rejection }))?
        );
    }
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let (added, updated) = if args.check {
        ("to add", "to update")
    } else {
        ("added", "updated")
    };
    for f in &report.files {
        let mut line = format!(
            "{}: {} rows -> {}: {} {added}",
            f.path,
            thousands(f.rows_read),
            f.table,
            thousands(f.added)
        );
        if f.updated > 0 {
            line.push_str(&format!(", {} {updated}", thousands(f.updated)));
        }
        if f.unchanged > 0 {
            line.push_str(&format!(", {} already present", thousands(f.unchanged)));
        }
        if !f.ignored_columns.is_empty() {
            line.push_str(&format!(
                " (ignored columns: {})",
                f.ignored_columns.join(", ")
            ));
        }
        println!("{line}");
    }
    let secs = progress.elapsed().as_secs_f64();
    if args.check {
        println!(
            "the files are valid: {} rows would be added; nothing was written",
            thousands(report.rows_added())
        );
        return Ok(());
    }
    let read: u64 = report.files.iter().map(|f| f.rows_read).sum();
    println!(
        "{} rows added to {} in {secs:.1} s ({} rows/s)",
        thousands(report.rows_added()),
        store.path().display(),
        thousands((read as f64 / secs.max(1e-9)) as u64)
    );
    Ok(())
}

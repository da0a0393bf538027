use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::progress::{Progress, thousands};
use crate::cli::{DbArgs, DemoArgs, UiArgs};
use crate::config;
use crate::store::ingest::IngestOptions;
use crate::store::{Access, Store};
use crate::synth::{self, DemoSpec};

pub fn run(db: &DbArgs, ui: &UiArgs, args: DemoArgs) -> Result<()> {
    let path = db.db.clone().unwrap_or_else(config::default_demo_db_path);
    let built = !has_students(&path, !db.read_only)? || args.rebuild;
    if built {
        if db.read_only {
            anyhow::bail!(
                "{} holds no demo school yet and --read-only forbids building one",
                path.display()
            );
        }
        build(&path, &args)?;
    }
    if !args.no_tui && !args.json && super::interactive() {
        return super::dashboard(&path, db, ui);
    }
    let store = Store::open(&path, Access::ReadOnly)?;
    if args.json {
        let counts = store.table_counts()?;
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "database": path.display().to_string(),
                "built": built,
                "tables": counts,
                "activity": store.activity_span()?,
            }))?
        );
        return Ok(());
    }
    if !built {
        println!("The demo school is already built (use --rebuild to make it again).");
    }
    super::stats::print_summary(&store)?;
    println!();
    println!("Explore it:   classlens demo   (opens the dashboard in a terminal)");
    println!("              classlens --db {} stats", path.display());
    println!("Your school:  classlens ingest FOLDER   (CSV, Parquet or NDJSON exports)");
    Ok(())
}

fn has_students(path: &Path, upgrade: bool) -> Result<bool> {
    if !path.exists() {
        return Ok(false);
    }
    let store = Store::open_read_only(path, upgrade)?;
    let counts = store.table_counts()?;
    Ok(counts.iter().any(|c| c.table == "students" && c.rows > 0))
}

/// Generates CSV exports and ingests them into a new file beside the target,
/// then moves it into place: nobody ever opens a half-built demo.
fn build(path: &Path, args: &DemoArgs) -> Result<()> {
    let progress = Progress::new();
    let chinese = args.languages.iter().any(|l| l == "zh");
    let english = args.languages.iter().any(|l| l == "en");
    let spec = DemoSpec {
        students: args.students,
        seed: args.seed,
        chinese_share: match (chinese, english) {
            (false, _) => 0.0,
            (true, false) => 1.0,
            (true, true) => args.chinese_share,
        },
    };
    let scratch;
    let dir: PathBuf = match &args.export {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            dir.clone()
        }
        None => {
            scratch =
                tempfile::tempdir().context("creating a scratch folder for the demo exports")?;
            scratch.path().to_path_buf()
        }
    };
    progress.say(format!(
        "writing a school of {} students as CSV exports",
        thousands(spec.students.into())
    ));
    let generated = synth::generate(&spec, &dir, &mut |done, total| {
        progress.say(format!(
            "simulated {} of {} students",
            thousands(done.into()),
            thousands(total.into())
        ));
    })?;

    let building = path.with_extension("duckdb.building");
    remove_database(&building)?;
    let files: Vec<PathBuf> = generated.files.iter().map(|(p, _)| p.clone()).collect();
    {
        let mut store = Store::open(&building, Access::ReadWrite)?;
        let options = IngestOptions {
            allow_internal: true,
            ..IngestOptions::default()
        };
        store.ingest(&files, &options, &mut |e| progress.ingest_event(e))?;
    }
    remove_database(path)?;
    std::fs::rename(&building, path)
        .with_context(|| format!("moving the demo into {}", path.display()))?;
    progress.finish();
    let rows: u64 = generated.files.iter().map(|(_, n)| n).sum();
    eprintln!(
        "classlens: built the demo school ({} rows) in {:.1} s: {}",
        thousands(rows),
        progress.elapsed().as_secs_f64(),
        path.display()
    );
    if let Some(dir) = &args.export {
        eprintln!("classlens: the CSV exports are in {}", dir.display());
    }
    Ok(())
}

/// Removes a database file and its write-ahead log, if there.
fn remove_database(path: &Path) -> Result<()> {
    let wal = PathBuf::from(format!("{}.wal", path.display()));
    for p in [path, wal.as_path()] {
        match std::fs::remove_file(p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", p.display())),
        }
    }
    Ok(())
}

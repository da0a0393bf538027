//! Suggestions on a school database: the time and peak memory of making and
//! storing everyone's (ranker training included), then the latency of one
//! student's on demand (the stored ranker and crowd signals, the student's
//! own rows), median of many. The database must have been analysed.
//!
//! `cargo bench --bench recommend -- SCHOOL.duckdb [MODEL_KEY]`

mod common;

use std::path::PathBuf;
use std::time::Instant;

use classlens::recommend::ranker::Settings;
use classlens::recommend::school;
use classlens::store::{Access, Store};
use common::peak_rss;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let path = args
        .first()
        .ok_or("usage: cargo bench --bench recommend -- SCHOOL.duckdb [MODEL_KEY]")?;
    let mut store = Store::open(&PathBuf::from(path), Access::ReadWrite)?;
    let model = match args.get(1) {
        Some(key) => key.clone(),
        None => store
            .ranker_source()?
            .map(|s| s.model)
            .ok_or("analyse the database first (or give the encoder's cache key)")?,
    };
    let started = Instant::now();
    let (ranker, rows) = school::train(&store, &model)?;
    println!(
        "training: {rows} rows, {} completions, {:.2} s; peak RSS so far {}",
        ranker.positives,
        started.elapsed().as_secs_f64(),
        peak_rss()
    );
    let report = school::refresh(&mut store, &model, &Settings::default())?;
    println!(
        "everyone: {} students, {} suggestions, {} path steps in {:.2} s (training included); peak RSS {}",
        report.students,
        report.suggestions,
        report.path_steps,
        report.seconds,
        peak_rss()
    );
    let everyone = store.students_with_class(1)?;
    let step = (everyone.len() / 50).max(1);
    let students: Vec<String> = everyone
        .into_iter()
        .map(|s| s.0)
        .step_by(step)
        .take(50)
        .collect();
    let mut times = Vec::new();
    for _ in 0..3 {
        for s in &students {
            let t = Instant::now();
            let (made, _) = school::on_demand(&store, s, school::STORED)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(made.suggestions.len());
        }
    }
    let mut reads = Vec::new();
    for s in &students {
        let t = Instant::now();
        std::hint::black_box(school::context_for(&store, s)?);
        reads.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    reads.sort_by(f64::total_cmp);
    println!(
        "  of which reading the student's context: median {:.1} ms",
        reads[reads.len() / 2]
    );
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "one student on demand ({} calls): median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        times.len(),
        at(0.5),
        at(0.9),
        at(1.0)
    );
    Ok(())
}

//! The ability stage on a school database: the time and peak memory of a full
//! per-skill refit, then held-out prediction (20% of first attempts per skill,
//! seeded) by the 2PL beside each item's share right. The database is upgraded if it is older.
//!
//! `cargo bench --bench ability -- SCHOOL.duckdb`

mod common;

use std::path::PathBuf;
use std::time::Instant;

use classlens::ability::{evaluate, school};
use classlens::store::{Access, Store};
use common::peak_rss;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .ok_or("usage: cargo bench --bench ability -- SCHOOL.duckdb")?;
    let mut store = Store::open(&PathBuf::from(&path), Access::ReadWrite)?;
    // Forget the last fit so that refresh fits again.
    store.save_abilities(&[], &[], &(-1, None))?;
    let report = school::refresh(&mut store)?;
    println!(
        "refit: {} skills, {} items, {} students in {:.2} s; peak RSS so far {}",
        report.skills,
        report.items,
        report.students,
        report.seconds,
        peak_rss()
    );
    let attempts = store.first_attempts()?;
    let started = Instant::now();
    let held = evaluate::held_out(&attempts, 0.2, 20261129);
    println!(
        "{} first attempts; {} held out: AUC 2PL {:.4}, AUC item share right {:.4} ({:.2} s)",
        attempts.len(),
        held.answers,
        held.auc_irt,
        held.auc_item_rate,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

//! The ability stage on a school database: the time and peak memory of a full
//! per-skill refit (with the weekly trajectories and trends) and of the at-risk
//! rules, how the weekly forecasts did with drift and without, then held-out prediction (20% of first attempts per skill,
//! seeded) by the 2PL beside each item's share right. The database is upgraded if it is older.
//!
//! `cargo bench --bench ability -- SCHOOL.duckdb`

mod common;

use std::path::PathBuf;
use std::time::Instant;

use classlens::ability::{evaluate, school};
use classlens::store::ability::AbilityTables;
use classlens::store::{Access, Store};
use common::peak_rss;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .ok_or("usage: cargo bench --bench ability -- SCHOOL.duckdb")?;
    let mut store = Store::open(&PathBuf::from(&path), Access::ReadWrite)?;
    // Forget the last fit so that refresh fits again.
    store.save_abilities(&AbilityTables::default(), &(-1, None))?;
    let report = school::refresh(&mut store)?;
    println!(
        "refit: {} skills, {} items, {} students in {:.2} s; peak RSS so far {}",
        report.skills,
        report.items,
        report.students,
        report.seconds,
        peak_rss()
    );
    println!(
        "mastery: {} of {} skills drift; trends {} rising, {} falling",
        report.drifting_skills, report.skills, report.rising, report.falling
    );
    let drifts = store.mastery_drifts()?;
    let forecast: usize = drifts.iter().map(|d| d.choice.chosen.answers).sum();
    let loss = |f: &dyn Fn(&classlens::store::ability::DriftRow) -> f64| {
        drifts
            .iter()
            .map(|d| f(d) * d.choice.chosen.answers as f64)
            .sum::<f64>()
            / forecast.max(1) as f64
    };
    println!(
        "weekly forecasts of {forecast} answers: log loss {:.4} with the chosen drifts, {:.4} without; AUC {:.4} and {:.4}",
        loss(&|d| d.choice.chosen.log_loss),
        loss(&|d| d.choice.fixed.log_loss),
        loss(&|d| d.choice.chosen.auc),
        loss(&|d| d.choice.fixed.auc)
    );
    let started = Instant::now();
    let compared = evaluate::weekly_forecasts(&store.first_attempts()?);
    println!(
        "next week's answers ({}), log loss and AUC: 2PL with drift {:.4} {:.4}, without {:.4} {:.4}, \
         knowledge tracing {:.4} {:.4} ({:.2} s)",
        compared.answers,
        compared.irt_drift.0,
        compared.irt_drift.1,
        compared.irt_static.0,
        compared.irt_static.1,
        compared.bkt.0,
        compared.bkt.1,
        started.elapsed().as_secs_f64()
    );
    let risk = school::refresh_risk(&mut store)?;
    println!(
        "at-risk rules: {} students flagged ({} low, {} falling, {} disengaged) in {:.2} s; peak RSS {}",
        risk.students,
        risk.low_ability,
        risk.falling,
        risk.disengaged,
        risk.seconds,
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

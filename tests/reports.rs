//! Saved teacher reports and ad-hoc SQL: every report runs on the demo school,
//! results export to spreadsheet-safe CSV, and nothing can write.

mod common;

use classlens::store::reports;
use classlens::store::{Access, Store, StoreError};
use common::*;

fn demo(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("demo.duckdb");
    succeeded(classlens_at(
        &db,
        &["demo", "--no-tui", "--students", "120"],
    ));
    db
}

#[test]
fn every_saved_report_runs_on_the_demo_school_and_returns_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let store = Store::open(&db, Access::ReadOnly).unwrap();
    for report in reports::reports() {
        let result = store
            .query_text(report.sql, 100)
            .unwrap_or_else(|e| panic!("{}: {e}", report.name));
        assert!(!result.rows.is_empty(), "{} returned nothing", report.name);
        assert!(result.columns.len() >= 2, "{}", report.name);
        let json = store.query_json(report.sql, 5).unwrap();
        assert_eq!(
            json[0].as_object().unwrap().len(),
            result.columns.len(),
            "{}",
            report.name
        );
    }
    let weekly = store
        .query_text(reports::report("weekly_activity").unwrap().sql, 100)
        .unwrap();
    assert_eq!(weekly.rows.len(), 18);
    assert_eq!(weekly.columns[0], "week");
}

#[test]
fn queries_cannot_write_and_need_a_read_only_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let store = Store::open(&db, Access::ReadOnly).unwrap();
    match store.query_text("DELETE FROM students", 10) {
        Err(StoreError::BadQuery(message)) => assert!(message.contains("read-only"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        store.query_text("SELECT 1; DROP TABLE students", 10),
        Err(StoreError::BadQuery(_))
    ));
    drop(store);
    assert_eq!(count(&db, "students"), 3);
    let writable = Store::open(&db, Access::ReadWrite).unwrap();
    assert!(matches!(
        writable.query_text("SELECT 1", 10),
        Err(StoreError::NotReadOnly)
    ));
}

#[test]
fn csv_export_round_trips_and_defuses_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let comments = write(
        dir.path(),
        "comments.csv",
        "comment_id,student_id,resource_id,time,text\nc1,s1,r1,2026-02-02T08:00:00,=cmd()\nc2,s2,r1,2026-02-02T09:00:00,\"fine, thanks\"\n",
    );
    ingest(&db, &[comments]).unwrap();
    let out_file = dir.path().join("out.csv");
    let out = succeeded(classlens_at(
        &db,
        &[
            "query",
            "--sql",
            "SELECT comment_id, text, -0.5 AS delta FROM comments ORDER BY comment_id",
            "--csv",
            out_file.to_str().unwrap(),
        ],
    ));
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrote 2 rows"));
    let mut reader = csv::Reader::from_path(&out_file).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec!["comment_id", "text", "delta"]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec!["c1", "'=cmd()", "-0.5"],
            vec!["c2", "fine, thanks", "-0.5"]
        ]
    );
}

#[test]
fn the_query_command_lists_reports_and_prints_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let list = succeeded(classlens(&["query"]));
    let listed = String::from_utf8_lossy(&list.stdout);
    assert_eq!(listed.lines().count(), reports::reports().len());
    assert!(listed.contains("inactive_students"));

    let out = succeeded(classlens_at(
        &db,
        &[
            "query",
            "--sql",
            "SELECT student_id, display_name FROM students ORDER BY 1",
            "--limit",
            "2",
        ],
    ));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "student_id  display_name",
            "----------  ------------",
            "s1          Ada Obi",
            "s2          Ben Park"
        ]
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("showing the first 2 rows"));

    // A file gets every row unless told otherwise; the screen a page of 1,000.
    let csv = dir.path().join("range.csv");
    let many = "SELECT range AS n FROM range(1500)";
    let out = succeeded(classlens_at(
        &db,
        &["query", "--sql", many, "--csv", csv.to_str().unwrap()],
    ));
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrote 1,500 rows"));
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 1501);
    let out = succeeded(classlens_at(&db, &["query", "--sql", many, "--json"]));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().map(Vec::len), Some(1500));
    let out = succeeded(classlens_at(&db, &["query", "--sql", many]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("showing the first 1000 rows"));
    let out = succeeded(classlens_at(
        &db,
        &[
            "query",
            "--sql",
            many,
            "--csv",
            csv.to_str().unwrap(),
            "--limit",
            "10",
        ],
    ));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the file holds only the first 10 rows"));

    let unknown = classlens_at(&db, &["query", "nope"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no report named nope"));
}

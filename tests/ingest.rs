//! Ingest against the real DuckDB: every bad input is refused whole, with the
//! file, line and column named; good input lands once.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use classlens::store::ingest::{IngestError, IngestOptions};
use classlens::store::{Access, Store};
use common::*;

const RESPONSES_HEADER: &str = "student_id,item_id,time,correct,seconds,attempt\n";

fn responses(dir: &std::path::Path, rows: &str) -> std::path::PathBuf {
    write(dir, "responses.csv", format!("{RESPONSES_HEADER}{rows}"))
}

#[test]
fn a_valid_school_lands_with_counts_and_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    assert_eq!(count(&db, "students"), 3);
    assert_eq!(count(&db, "skill_prereqs"), 1);
    let file = responses(
        dir.path(),
        "s1,i1,2026-02-02T08:00:00,1,12.5,1\ns2,i2,2026-02-02 09:00,0,30,1\n",
    );
    let report = ingest(&db, &[file]).unwrap();
    assert_eq!(report.files[0].added, 2);
    assert_eq!(count(&db, "responses"), 2);
    assert_eq!(count(&db, "ingest_log"), 7);
}

#[test]
fn missing_column_is_named_with_what_the_table_needs() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = write(
        dir.path(),
        "responses.csv",
        "student_id,item_id,time\ns1,i1,2026-02-02T08:00:00\n",
    );
    let report = rejected(&db, &[file]);
    assert!(
        text(&report).contains("responses.csv: correct: missing column (the responses table needs student_id, item_id, time, correct)"),
        "{report}"
    );
}

#[test]
fn wrong_type_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = responses(
        dir.path(),
        "s1,i1,2026-02-02T08:00:00,1,12,1\ns1,i2,2026-02-02T08:01:00,1,twelve,1\n",
    );
    let report = rejected(&db, &[file]);
    assert_eq!(report.total, 1);
    assert!(
        text(&report).contains("responses.csv:3: seconds: 'twelve' is not a number"),
        "{report}"
    );
}

#[test]
fn correct_must_be_zero_or_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = responses(dir.path(), "s1,i1,2026-02-02T08:00:00,2,12,1\n");
    let report = rejected(&db, &[file]);
    assert!(
        text(&report).contains("responses.csv:2: correct: '2' must be 0 or 1"),
        "{report}"
    );
}

#[test]
fn negative_seconds_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = responses(dir.path(), "s1,i1,2026-02-02T08:00:00,1,-3,1\n");
    let report = rejected(&db, &[file]);
    assert!(
        text(&report).contains("responses.csv:2: seconds: '-3' must be at least 0"),
        "{report}"
    );
}

#[test]
fn unparseable_time_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = responses(dir.path(), "s1,i1,last tuesday,1,3,1\n");
    let report = rejected(&db, &[file]);
    assert!(
        text(&report).contains("responses.csv:2: time: 'last tuesday' is not a date and time"),
        "{report}"
    );
}

#[test]
fn unknown_student_is_refused_even_among_good_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = responses(
        dir.path(),
        "s1,i1,2026-02-02T08:00:00,1,3,1\ns9,i1,2026-02-02T08:00:00,1,3,1\n",
    );
    let report = rejected(&db, &[file]);
    assert_eq!(report.total, 1);
    assert!(
        text(&report).contains("responses.csv:3: student_id: unknown student 's9' (not in the files given nor in the database)"),
        "{report}"
    );
}

#[test]
fn references_may_point_into_the_same_file_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh.duckdb");
    let mut files = school_files(dir.path());
    files.push(responses(dir.path(), "s3,i3,2026-02-02T08:00:00Z,1,3,1\n"));
    let report = ingest(&db, &files).unwrap();
    assert_eq!(report.rows_added(), 2 + 3 + 2 + 1 + 3 + 2 + 1);
}

#[test]
fn duplicate_key_names_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = responses(
        dir.path(),
        "s1,i1,2026-02-02T08:00:00,1,3,1\ns2,i1,2026-02-02T08:00:00,1,3,1\ns1,i1,2026-02-02T08:00:00,0,9,2\n",
    );
    let report = rejected(&db, &[file]);
    assert_eq!(report.total, 1);
    let shown = text(&report);
    assert!(shown.contains("responses.csv:4: student_id, item_id, time: duplicate key (s1, i1, 2026-02-02 08:00:00)"), "{shown}");
    assert!(
        shown.contains("duplicate key (s1, i1, 2026-02-02 08:00:00), first given on line 2"),
        "{shown}"
    );
}

#[test]
fn empty_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = write(dir.path(), "responses.csv", "");
    let report = rejected(&db, &[file]);
    assert!(
        text(&report).contains("responses.csv: the file is empty (0 bytes)"),
        "{report}"
    );
}

#[test]
fn non_utf8_bytes_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let mut bytes = RESPONSES_HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"s1,i1,2026-02-02T08:00:00,1,3,1\ns2,i\xff\xfe1,2026-02-02T08:00:00,1,3,1\n",
    );
    let file = write(dir.path(), "responses.csv", bytes);
    let report = rejected(&db, &[file]);
    assert!(
        text(&report).contains("responses.csv:3: item_id: the line is not valid UTF-8"),
        "{report}"
    );
}

#[test]
fn quoted_newlines_are_kept_and_later_lines_counted_right() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let comments = "comment_id,student_id,resource_id,time,text\n\
        c1,s1,r1,2026-02-02T08:00:00,\"I liked it.\nBut the end was fast.\"\n\
        c2,s2,r1,2026-02-02T08:00:00,fine\n";
    let good = write(dir.path(), "comments.csv", comments);
    ingest(&db, &[good]).unwrap();
    let stored = {
        let store = Store::open(&db, Access::ReadOnly).unwrap();
        drop(store);
        query_i64(
            &db,
            "SELECT count(*) FROM comments WHERE text = 'I liked it.' || chr(10) || 'But the end was fast.'",
        )
    };
    assert_eq!(stored, 1);

    // The bad row sits on physical line 5, after a record spanning lines 2-3.
    let bad = write(
        dir.path(),
        "comments-more.csv",
        "comment_id,student_id,resource_id,time,text\n\
         c3,s1,r1,2026-02-03T08:00:00,\"two\nlines\"\n\
         c4,s1,r1,2026-02-03T09:00:00,ok\n\
         c5,s7,r1,2026-02-03T10:00:00,who am i\n",
    );
    let report = rejected(&db, &[bad]);
    assert!(
        text(&report).contains("comments-more.csv:5: student_id: unknown student 's7'"),
        "{report}"
    );
}

#[test]
fn zero_byte_parquet_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = write(dir.path(), "responses.parquet", "");
    let report = rejected(&db, &[file]);
    assert!(
        text(&report).contains("responses.parquet: the file is empty (0 bytes)"),
        "{report}"
    );
    let garbage = write(dir.path(), "views.parquet", "PAR1 this is not parquet");
    let report = rejected(&db, &[garbage]);
    assert!(
        text(&report).contains("views.parquet: not readable as Parquet"),
        "{report}"
    );
}

#[test]
fn formula_looking_strings_stay_strings() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let comments = write(
        dir.path(),
        "comments.csv",
        "comment_id,student_id,resource_id,time,text\nc1,s1,r1,2026-02-02T08:00:00,=cmd()\n",
    );
    ingest(&db, &[comments]).unwrap();
    assert_eq!(
        query_i64(&db, "SELECT count(*) FROM comments WHERE text = '=cmd()'"),
        1
    );

    let file = responses(dir.path(), "s1,i1,2026-02-02T08:00:00,=cmd(),3,1\n");
    let report = rejected(&db, &[file]);
    assert!(
        text(&report).contains("responses.csv:2: correct: '=cmd()' is not 0 or 1"),
        "{report}"
    );
}

#[test]
fn every_bad_row_is_counted_but_the_list_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let rows: String = (0..120)
        .map(|m| format!("s1,i1,2026-02-02T08:{:02}:{:02},7,3,1\n", m / 60, m % 60))
        .collect();
    let file = responses(dir.path(), &rows);
    let report = rejected(&db, &[file]);
    assert_eq!(report.total, 120);
    assert_eq!(
        report.problems.len(),
        IngestOptions::default().max_listed_problems
    );
    assert!(text(&report).contains("... and 70 more"), "{report}");
    assert!(
        report.problems[0]
            .to_string()
            .ends_with("/responses.csv:2: correct: '7' must be 0 or 1")
    );
}

#[test]
fn reingesting_the_same_files_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = responses(
        dir.path(),
        "s1,i1,2026-02-02T08:00:00,1,3,1\ns2,i2,2026-02-02T08:00:00,0,3,1\n",
    );
    ingest(&db, std::slice::from_ref(&file)).unwrap();
    let before = snapshot_tables(&db, &["ingest_log"]);
    let mut files = school_files(dir.path());
    files.push(file);
    let report = ingest(&db, &files).unwrap();
    assert_eq!(report.rows_added(), 0);
    assert!(
        report.files.iter().all(|f| f.unchanged == f.rows_read),
        "{report:?}"
    );
    assert_eq!(snapshot_tables(&db, &["ingest_log"]), before);
}

#[test]
fn a_corrected_roster_row_updates_and_a_contradicting_event_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let students = write(
        dir.path(),
        "students-fix.csv",
        "student_id,class_id,display_name\ns2,c2,Benjamin Park\n",
    );
    let report = ingest(&db, &[students]).unwrap();
    assert_eq!((report.files[0].added, report.files[0].updated), (0, 1));
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM students WHERE display_name = 'Benjamin Park' AND class_id = 'c2'"
        ),
        1
    );

    let file = responses(dir.path(), "s1,i1,2026-02-02T08:00:00,1,3,1\n");
    ingest(&db, &[file]).unwrap();
    let contradicting = write(
        dir.path(),
        "responses-again.csv",
        format!("{RESPONSES_HEADER}s1,i1,2026-02-02T08:00:00,0,3,1\n"),
    );
    let report = rejected(&db, &[contradicting]);
    assert!(
        text(&report).contains("responses-again.csv:2: student_id, item_id, time: the database already holds a responses row with this key and different values"),
        "{report}"
    );
}

#[test]
fn time_offsets_become_utc_and_defaults_fill_optional_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = write(
        dir.path(),
        "responses.csv",
        "student_id,item_id,time,correct\ns1,i1,2026-02-02T08:00:00+02:00,1\ns1,i2,2026-02-02T08:00:00Z,0\n",
    );
    ingest(&db, &[file]).unwrap();
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM responses WHERE time = TIMESTAMP '2026-02-02 06:00:00' AND item_id = 'i1' AND attempt = 1"
        ),
        1
    );
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM responses WHERE time = TIMESTAMP '2026-02-02 08:00:00' AND seconds IS NULL"
        ),
        1
    );
}

#[test]
fn parquet_and_ndjson_ingest_with_rows_and_lines_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let parquet = dir.path().join("views.parquet");
    {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "COPY (SELECT * FROM (VALUES ('s1', 'r1', TIMESTAMP '2026-02-02 08:00:00', 300.0, true),
                                        ('s2', 'r2', TIMESTAMP '2026-02-02 09:00:00', 20.0, false))
                   t(student_id, resource_id, time, watched_seconds, completed))
             TO '{}' (FORMAT parquet)",
            parquet.display()
        ))
        .unwrap();
    }
    let ndjson = write(
        dir.path(),
        "searches.ndjson",
        "{\"student_id\":\"s1\",\"time\":\"2026-02-02T08:00:00\",\"query\":\"fractions pizza\"}\n\n\
         {\"student_id\":\"s2\",\"time\":\"2026-02-02T08:05:00\",\"query\":\"ratio help\"}\n",
    );
    let report = ingest(&db, &[parquet, ndjson]).unwrap();
    assert_eq!(report.rows_added(), 4);
    assert_eq!(
        query_i64(&db, "SELECT count(*) FROM views WHERE completed"),
        1
    );

    let bad_parquet = dir.path().join("views-bad.parquet");
    {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "COPY (SELECT * FROM (VALUES ('s1', 'r1', TIMESTAMP '2026-02-03 08:00:00', 1.0),
                                        ('s1', 'r9', TIMESTAMP '2026-02-03 09:00:00', -2.0))
                   t(student_id, resource_id, time, watched_seconds))
             TO '{}' (FORMAT parquet)",
            bad_parquet.display()
        ))
        .unwrap();
    }
    let bad_json = write(
        dir.path(),
        "searches-bad.jsonl",
        "{\"student_id\":\"s1\",\"time\":\"2026-02-03T08:00:00\",\"query\":\"ok\"}\n\n\
         {\"student_id\":\"s1\",\"time\":\"soon\",\"query\":\"late\"}\n",
    );
    let report = rejected(&db, &[bad_parquet, bad_json]);
    let shown = text(&report);
    assert!(
        shown.contains("views-bad.parquet:row 2: watched_seconds: '-2.0' must be at least 0"),
        "{shown}"
    );
    assert!(
        shown.contains("views-bad.parquet:row 2: resource_id: unknown resource 'r9'"),
        "{shown}"
    );
    assert!(
        shown.contains("searches-bad.jsonl:3: time: 'soon' is not a date and time"),
        "{shown}"
    );
}

#[test]
fn files_that_name_no_table_or_an_internal_one_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let stray = write(dir.path(), "grades.csv", "a,b\n1,2\n");
    match ingest(&db, &[stray]) {
        Err(IngestError::Input { reason, .. }) => assert!(
            reason.contains("no table is named like this file"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    let truth = write(
        dir.path(),
        "truth_items.csv",
        "item_id,a,b,misbehaving\ni1,1,0,false\n",
    );
    assert!(matches!(
        ingest(&db, &[truth]),
        Err(IngestError::Input { .. })
    ));
}

#[test]
fn a_folder_is_read_in_reference_order() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("export");
    std::fs::create_dir(&data).unwrap();
    // Written events-first: order on disk must not matter.
    write(
        &data,
        "responses.csv",
        format!("{RESPONSES_HEADER}s1,i1,2026-02-02T08:00:00,1,3,1\n"),
    );
    school_files(&data);
    write(&data, "README.txt", "not data");
    let db = dir.path().join("folder.duckdb");
    let report = ingest(&db, &[data]).unwrap();
    assert_eq!(report.files.len(), 7);
    assert_eq!(count(&db, "responses"), 1);
}

#[test]
fn a_second_writer_is_told_who_holds_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = responses(dir.path(), "s1,i1,2026-02-02T08:00:00,1,3,1\n");
    // Held for writing, or only read (a teacher's dashboard): either way ingest must wait.
    for access in [Access::ReadWrite, Access::ReadOnly] {
        let holder = Store::open(&db, access).unwrap();
        let out = classlens_at(&db, &["ingest", file.to_str().unwrap()]);
        drop(holder);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(75), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "school.duckdb is in use by another process (pid {}); writing needs the file to itself: \
                 close that process (a dashboard, another ingest) and try again, or add --read-only to only look",
                std::process::id()
            )),
            "{stderr}"
        );
    }
    assert_eq!(count(&db, "responses"), 0);
}

#[test]
fn a_killed_ingest_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let path = dir.path().join("responses.csv");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        out.write_all(RESPONSES_HEADER.as_bytes()).unwrap();
        for n in 0..3_000_000u64 {
            let student = ["s1", "s2", "s3"][(n % 3) as usize];
            let item = ["i1", "i2", "i3"][(n / 3 % 3) as usize];
            writeln!(
                out,
                "{student},{item},2026-02-02T08:00:00.{:06},{},{},1",
                n / 9,
                n % 2,
                n % 50
            )
            .unwrap();
        }
    }
    let before = snapshot(&db);
    let mut child = Command::new(bin())
        .arg("--db")
        .arg(&db)
        .arg("ingest")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut saw_writing = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.starts_with("classlens: writing") {
            saw_writing = true;
            child.kill().unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(saw_writing, "the ingest never reached the write phase");
    assert!(
        !status.success(),
        "the ingest finished before it could be killed"
    );
    assert_eq!(snapshot(&db), before);
    // And the file is healthy: the same ingest now completes.
    let report = ingest(&db, &[path]).unwrap();
    assert_eq!(report.rows_added(), 3_000_000);
}

#[test]
fn blanks_around_ids_are_trimmed_and_blank_values_are_missing() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    // " s1 " is s1; a blank optional number is no number; a blank required id is missing.
    let good = responses(dir.path(), " s1 ,i1\t,2026-02-02T08:00:00,1,  ,1\n");
    ingest(&db, &[good]).unwrap();
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM responses WHERE student_id = 's1' AND item_id = 'i1' AND seconds IS NULL"
        ),
        1
    );
    let bad = write(
        dir.path(),
        "responses-2.csv",
        format!("{RESPONSES_HEADER}   ,i2,2026-02-02T09:00:00,1,3,1\n"),
    );
    let report = rejected(&db, &[bad]);
    assert_eq!(report.total, 1);
    assert!(
        text(&report).contains("responses-2.csv:2: student_id: missing value"),
        "{report}"
    );
}

#[test]
fn an_unterminated_quote_is_named_and_does_not_change_how_good_lines_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = write(
        dir.path(),
        "searches.csv",
        "student_id,time,query\ns1,2026-02-03T08:00:00,\"fine, quoted\"\ns1,2026-02-03T09:00:00,\"unterminated\n",
    );
    let report = rejected(&db, &[file]);
    assert_eq!(report.total, 1);
    assert!(
        text(&report).contains("searches.csv:3: query: badly quoted value"),
        "{report}"
    );
}

#[test]
fn semicolon_exports_and_a_byte_order_mark_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let file = write(
        dir.path(),
        "searches.csv",
        "\u{feff}student_id;time;query\ns1;2026-02-03T08:00:00;fractions, with pizza\n",
    );
    ingest(&db, &[file]).unwrap();
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM searches WHERE query = 'fractions, with pizza'"
        ),
        1
    );
}

#[test]
fn the_weekly_summary_follows_every_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let first = responses(
        dir.path(),
        "s1,i1,2026-03-02T09:00:00,1,30,1\n\
         s1,i2,2026-03-04T09:00:00,0,,1\n\
         s2,i1,2026-03-09T10:00:00,1,12,1\n",
    );
    ingest(&db, std::slice::from_ref(&first)).expect("answers ingest");
    assert_eq!(weekly_stored(&db), weekly_from_scratch(&db));
    assert_eq!(weekly_stored(&db).lines().count(), 2);

    // More answers in a week already summarised, a new week, and views.
    std::fs::create_dir(dir.path().join("more")).unwrap();
    let more = write(
        dir.path(),
        "more/responses.csv",
        format!(
            "{RESPONSES_HEADER}s1,i3,2026-03-05T11:00:00,1,40,1\ns3,i3,2026-03-16T08:00:00,0,5,2\n"
        ),
    );
    let views = write(
        dir.path(),
        "more/views.csv",
        "student_id,resource_id,time,watched_seconds,completed\n\
         s1,r1,2026-03-06T18:00:00,300,true\n\
         s2,r2,2026-03-23T18:00:00,120,false\n",
    );
    ingest(&db, &[more, views]).expect("more ingest");
    let stored = weekly_stored(&db);
    assert_eq!(stored, weekly_from_scratch(&db));
    assert_eq!(stored.lines().count(), 4, "{stored}");
    assert!(
        stored.contains("s1 2026-03-02 00:00:00 3 2 70.0 300.0 2026-03-06 18:00:00"),
        "{stored}"
    );

    // The same file again changes nothing; a refused file changes nothing.
    ingest(&db, &[first]).expect("the same file again");
    assert_eq!(weekly_stored(&db), stored);
    let bad = responses(dir.path(), "s1,i1,2026-03-30T09:00:00,7,1,1\n");
    assert!(ingest(&db, &[bad]).is_err());
    assert_eq!(weekly_stored(&db), stored);
}

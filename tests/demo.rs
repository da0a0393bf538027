//! The demo school: reproducible, the size asked for, and faithful to its own truth.

mod common;

use common::*;
use std::path::Path;

fn build_demo(db: &Path, students: u32, seed: u64) {
    let (students, seed) = (students.to_string(), seed.to_string());
    succeeded(classlens_at(
        db,
        &["demo", "--no-tui", "--students", &students, "--seed", &seed],
    ));
}

#[test]
fn the_same_seed_gives_the_same_school_and_another_seed_another() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.duckdb"),
        dir.path().join("b.duckdb"),
        dir.path().join("c.duckdb"),
    );
    build_demo(&a, 45, 11);
    build_demo(&b, 45, 11);
    build_demo(&c, 45, 12);
    let skip = ["ingest_log", "schema_version"];
    let first = snapshot_tables(&a, &skip);
    assert!(first.len() > 100_000, "suspiciously small school");
    assert_eq!(first, snapshot_tables(&b, &skip));
    assert_ne!(first, snapshot_tables(&c, &skip));
}

#[test]
fn the_default_school_has_the_sizes_asked_for_and_its_truth_shows_in_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.duckdb");
    build_demo(&db, 600, 20260202);

    assert_eq!(count(&db, "students"), 600);
    assert_eq!(count(&db, "classes"), 20);
    assert_eq!(
        query_i64(&db, "SELECT count(DISTINCT subject) FROM skills"),
        3
    );
    assert_eq!(count(&db, "skills"), 30);
    assert_eq!(count(&db, "items"), 390);
    assert_eq!(count(&db, "resources"), 300);
    assert!(count(&db, "skill_prereqs") >= 20);
    assert_eq!(count(&db, "truth_abilities"), 600 * 30);
    assert_eq!(count(&db, "truth_abilities_weekly"), 600 * 30 * 18);
    assert_eq!(count(&db, "truth_items"), 390);
    assert_eq!(count(&db, "truth_comments"), count(&db, "comments"));
    assert_eq!(count(&db, "truth_searches"), count(&db, "searches"));
    for (table, at_least) in [
        ("responses", 60_000),
        ("views", 8_000),
        ("navigation", 60_000),
        ("searches", 1_000),
        ("comments", 1_000),
    ] {
        let n = count(&db, table);
        assert!(n >= at_least, "{table}: {n} rows");
    }
    // A semester: 18 weeks of activity.
    assert_eq!(
        query_i64(
            &db,
            "SELECT date_diff('week', min(time), max(time)) FROM responses"
        ),
        17
    );

    // Correct rate rises with the true ability at the time of the answer,
    // across the whole range, on items that discriminate.
    let rates = rates_by_true_ability(&db);
    assert_eq!(rates.len(), 5);
    for pair in rates.windows(2) {
        assert!(
            pair[1] > pair[0] + 0.03,
            "correct rate by ability quintile: {rates:?}"
        );
    }
    assert!(rates[4] - rates[0] > 0.35, "{rates:?}");

    // Misbehaving items do not separate strong from weak students.
    let spread = |misbehaving: bool| {
        query_i64(
            &db,
            &format!(
                "WITH r AS ({}) SELECT CAST(1000 * (avg(correct) FILTER (q = 5) - avg(correct) FILTER (q = 1)) AS BIGINT)
                 FROM r JOIN truth_items ti USING (item_id) WHERE ti.misbehaving = {misbehaving}",
                RESPONSES_WITH_TRUE_QUINTILE
            ),
        )
    };
    assert!(
        spread(false) > 350 && spread(true) < 150,
        "good {} bad {}",
        spread(false),
        spread(true)
    );

    // Students watch more of the resources dressed in their favourite theme.
    let liked = query_i64(
        &db,
        "SELECT CAST(1000 * avg(v.watched_seconds / (r.minutes * 60)) AS BIGINT)
         FROM views v JOIN resources r USING (resource_id) JOIN truth_resources tr USING (resource_id)
         JOIN truth_interests ti ON ti.student_id = v.student_id AND ti.theme = tr.theme WHERE ti.weight > 0.3",
    );
    let unliked = query_i64(
        &db,
        "SELECT CAST(1000 * avg(v.watched_seconds / (r.minutes * 60)) AS BIGINT)
         FROM views v JOIN resources r USING (resource_id) JOIN truth_resources tr USING (resource_id)
         JOIN truth_interests ti ON ti.student_id = v.student_id AND ti.theme = tr.theme WHERE ti.weight < 0.05",
    );
    assert!(
        liked > unliked + 100,
        "watched share: liked theme {liked}, unliked {unliked}"
    );

    // Comments carry all three sentiments, some in other languages; most name their topic.
    for sentiment in ["positive", "neutral", "negative"] {
        let n = query_i64(
            &db,
            &format!("SELECT count(*) FROM truth_comments WHERE sentiment = '{sentiment}'"),
        );
        assert!(n > 150, "{sentiment}: {n}");
    }
    assert!(
        query_i64(
            &db,
            "SELECT count(*) FROM truth_comments WHERE language <> 'en'"
        ) > 10
    );
    assert!(query_i64(&db, "SELECT count(DISTINCT text) FROM comments") > 800);
}

/// Each response with the quintile of the student's true ability on its skill
/// at that moment; items with truly poor discrimination are kept for contrast.
const RESPONSES_WITH_TRUE_QUINTILE: &str = "
    SELECT r.item_id, r.correct, ntile(5) OVER (ORDER BY ta.theta_start + ta.growth_per_week *
           date_diff('second', TIMESTAMP '2026-02-02 00:00:00', r.time) / 604800.0) AS q
    FROM responses r JOIN items i USING (item_id)
    JOIN truth_abilities ta ON ta.student_id = r.student_id AND ta.skill_id = i.skill_id";

fn rates_by_true_ability(db: &Path) -> Vec<f64> {
    let config = duckdb::Config::default()
        .access_mode(duckdb::AccessMode::ReadOnly)
        .unwrap();
    let conn = duckdb::Connection::open_with_flags(db, config).unwrap();
    let sql = format!(
        "WITH r AS ({RESPONSES_WITH_TRUE_QUINTILE}) SELECT avg(correct) FROM r JOIN truth_items USING (item_id)
         WHERE NOT misbehaving GROUP BY q ORDER BY q"
    );
    let mut stmt = conn.prepare(&sql).unwrap();
    stmt.query_map([], |r| r.get::<_, f64>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn the_exported_demo_ingests_like_a_real_school() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo.duckdb");
    let export = dir.path().join("export");
    let export_arg = export.to_str().unwrap();
    succeeded(classlens_at(
        &demo,
        &[
            "demo",
            "--no-tui",
            "--students",
            "40",
            "--export",
            export_arg,
        ],
    ));
    assert!(export.join("truth/truth_items.csv").exists());

    let school = dir.path().join("school.duckdb");
    succeeded(classlens_at(&school, &["ingest", export_arg]));
    for table in [
        "classes",
        "students",
        "skills",
        "items",
        "resources",
        "responses",
        "views",
        "navigation",
        "searches",
        "comments",
    ] {
        assert_eq!(count(&school, table), count(&demo, table), "{table}");
    }
    assert_eq!(count(&school, "truth_items"), 0);
}

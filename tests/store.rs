//! Opening the database: migrations, versions and locks.

mod common;

use classlens::store::{Access, SCHEMA_VERSION, Store, StoreError};
use common::*;

#[test]
fn an_older_database_is_migrated_on_write_and_refused_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.duckdb");
    {
        // What the first release of classlens would have left behind.
        let conn = duckdb::Connection::open(&db).unwrap();
        let core = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/queries/schema/001_core.sql"
        ))
        .unwrap();
        conn.execute_batch(&core).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL);
             INSERT INTO schema_version VALUES (1, 'core', TIMESTAMP '2026-01-01 00:00:00');
             INSERT INTO classes VALUES ('c1', '7A', NULL, NULL);",
        )
        .unwrap();
    }
    match Store::open(&db, Access::ReadOnly) {
        Err(e @ StoreError::SchemaOutdated { found: 1, .. }) => {
            assert!(
                e.to_string()
                    .contains("open it once without --read-only to upgrade it"),
                "{e}"
            )
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("an outdated database opened read-only"),
    }
    let store = Store::open(&db, Access::ReadWrite).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);
    assert_eq!(count(&db, "classes"), 1, "migrating kept the data");
    assert_eq!(count(&db, "ingest_log"), 0);
    assert!(Store::open(&db, Access::ReadOnly).is_ok());
}

#[test]
fn a_database_from_a_newer_classlens_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    {
        let conn = duckdb::Connection::open(&db).unwrap();
        conn.execute_batch(
            "INSERT INTO schema_version VALUES (99, 'future', TIMESTAMP '2030-01-01 00:00:00')",
        )
        .unwrap();
    }
    for access in [Access::ReadOnly, Access::ReadWrite] {
        match Store::open(&db, access) {
            Err(e @ StoreError::SchemaTooNew { found: 99, .. }) => {
                assert!(
                    e.to_string().contains("written by a newer classlens"),
                    "{e}"
                )
            }
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("a newer schema opened"),
        }
    }
}

#[test]
fn a_reader_waits_for_a_writer_and_is_told_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let writer = Store::open(&db, Access::ReadWrite).unwrap();
    let out = classlens_at(&db, &["stats"]);
    drop(writer);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "school.duckdb is open for writing by another process (pid {}); wait for it to finish, then try again",
            std::process::id()
        )),
        "{stderr}"
    );
}

#[test]
fn upgrading_to_the_weekly_summary_fills_it_from_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let db = school_db(dir.path());
    let answers = write(
        dir.path(),
        "responses.csv",
        "student_id,item_id,time,correct,seconds,attempt\n\
         s1,i1,2026-03-02T09:00:00,1,30,1\n\
         s2,i3,2026-03-10T09:00:00,0,,1\n",
    );
    ingest(&db, &[answers]).unwrap();
    let expected = weekly_from_scratch(&db);
    assert_eq!(expected.lines().count(), 2);
    {
        // Back to how classlens before the summary left a database.
        let conn = duckdb::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TABLE activity_weekly; DROP TABLE embeddings; DROP TABLE item_estimates; DROP TABLE ability_estimates; DROP TABLE ability_source; DROP TABLE insight_source; DROP TABLE comment_insights; DROP TABLE topic_prototypes; DROP TABLE search_insights; DROP TABLE interest_profiles; DROP TABLE student_topics; DROP TABLE mastery; DROP TABLE ability_trends; DROP TABLE mastery_drift; DROP TABLE risk_flags; DROP TABLE recommendation_overrides; DROP TABLE recommendations; DROP TABLE learning_paths; DROP TABLE ranker_weights; DROP TABLE resource_signals; DROP TABLE class_recent_opens; DROP TABLE class_recent_skills; DROP TABLE ranker_source; DROP TABLE recommend_inputs; DROP TABLE language_centres; DROP TABLE topic_anchors; ALTER TABLE truth_comments DROP COLUMN meaning; DELETE FROM schema_version WHERE version >= 4;",
        )
        .unwrap();
    }
    assert!(matches!(
        Store::open_read_only(&db, false),
        Err(StoreError::SchemaOutdated { found: 3, .. })
    ));
    let store = Store::open_read_only(&db, true).unwrap();
    assert_eq!(store.access(), Access::ReadOnly);
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);
    assert_eq!(weekly_stored(&db), expected);
}

#[test]
fn stored_vectors_round_trip_and_a_cached_hash_is_kept() {
    use classlens::store::embeddings::Embedding;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cache.duckdb");
    let mut store = Store::open(&db, Access::ReadWrite).unwrap();
    let vector = |seed: f32| -> Vec<f32> { (0..384).map(|i| (i as f32 * seed).sin()).collect() };
    let first = vec![
        Embedding {
            text_hash: "a".into(),
            tokens: 3,
            vector: vector(0.1),
        },
        Embedding {
            text_hash: "b".into(),
            tokens: 4,
            vector: vector(0.2),
        },
    ];
    store.save_embeddings("m@1", &first).unwrap();
    // "a" again with another vector (a second writer got there first), and "c" new.
    let second = vec![
        Embedding {
            text_hash: "a".into(),
            tokens: 9,
            vector: vector(0.9),
        },
        Embedding {
            text_hash: "c".into(),
            tokens: 5,
            vector: vector(0.3),
        },
    ];
    store.save_embeddings("m@1", &second).unwrap();
    store.save_embeddings("m@2", &second[..1]).unwrap();

    assert_eq!(store.embedding("m@1", "a").unwrap(), Some(vector(0.1)));
    assert_eq!(store.embedding("m@1", "c").unwrap(), Some(vector(0.3)));
    assert_eq!(store.embedding("m@2", "a").unwrap(), Some(vector(0.9)));
    assert_eq!(store.embedding("m@2", "b").unwrap(), None);
    assert_eq!(store.embedded_hashes("m@1").unwrap().len(), 3);
    drop(store);
    assert_eq!(count(&db, "embeddings"), 4);
}

//! Per-skill abilities of a school: fitted from first attempts, stored, refitted
//! only when answers change, and shown by `classlens ability`.

mod common;

use std::path::{Path, PathBuf};

use classlens::ability::school;
use classlens::store::{Access, Store};
use common::{classlens_at, ingest, query_i64, succeeded, write};

fn dashboard_school(dir: &Path) -> PathBuf {
    let db = dir.join("school.duckdb");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dashboard-school");
    ingest(&db, &[fixture]).unwrap();
    db
}

#[test]
fn every_student_gets_a_finite_ability_per_skill_and_unchanged_answers_are_not_refitted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dashboard_school(dir.path());
    let report = {
        let mut store = Store::open(&db, Access::ReadWrite).unwrap();
        school::refresh(&mut store).unwrap()
    };
    assert!(report.fitted);
    assert_eq!(report.skills, 30);
    assert_eq!(report.students, 40);
    assert_eq!(report.not_converged, 0, "{report:?}");
    // One estimate per item answered and per (student, skill) with answers.
    assert_eq!(
        report.items as i64,
        query_i64(&db, "SELECT count(DISTINCT item_id) FROM responses")
    );
    let pairs = "SELECT count(*) FROM (SELECT DISTINCT r.student_id, i.skill_id \
                 FROM responses r JOIN items i USING (item_id))";
    assert_eq!(
        query_i64(&db, "SELECT count(*) FROM ability_estimates"),
        query_i64(&db, pairs)
    );
    // No NaN or infinity anywhere; posterior SDs between 0 and the prior's 1.
    let broken = "SELECT count(*) FROM ability_estimates \
                  WHERE NOT isfinite(theta) OR NOT isfinite(sd) OR sd <= 0 OR sd > 1.001";
    assert_eq!(query_i64(&db, broken), 0);
    let broken_items = "SELECT count(*) FROM item_estimates WHERE NOT isfinite(difficulty) \
                        OR NOT isfinite(discrimination) OR NOT isfinite(difficulty_se)";
    assert_eq!(query_i64(&db, broken_items), 0);
    // More answers, narrower intervals.
    assert!(
        query_i64(
            &db,
            "SELECT (corr(answered, sd) < -0.5)::INT FROM ability_estimates"
        ) == 1
    );

    let again = {
        let mut store = Store::open(&db, Access::ReadWrite).unwrap();
        school::refresh(&mut store).unwrap()
    };
    assert!(!again.fitted);

    // One new answer: fitted again.
    let extra = dir.path().join("extra");
    std::fs::create_dir(&extra).unwrap();
    write(
        &extra,
        "responses.csv",
        "student_id,item_id,time,correct,seconds,attempt\ns000001,i0003,2026-06-30T12:00:00,1,30,1\n",
    );
    ingest(&db, &[extra]).unwrap();
    let mut store = Store::open(&db, Access::ReadWrite).unwrap();
    assert!(school::refresh(&mut store).unwrap().fitted);
}

#[test]
fn the_ability_command_shows_a_student_or_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dashboard_school(dir.path());
    let before = classlens_at(&db, &["ability", "--student", "s000001"]);
    assert!(!before.status.success());
    assert!(String::from_utf8_lossy(&before.stderr).contains("run `classlens analyze` first"));
    {
        let mut store = Store::open(&db, Access::ReadWrite).unwrap();
        school::refresh(&mut store).unwrap();
    }
    let out = succeeded(classlens_at(
        &db,
        &["ability", "--student", "s000001", "--json"],
    ));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let skills = report["skills"].as_array().unwrap();
    assert!(!skills.is_empty());
    for entry in skills {
        let s = &entry["skill"];
        let (theta, sd) = (s["theta"].as_f64().unwrap(), s["sd"].as_f64().unwrap());
        assert!(theta.is_finite() && sd > 0.0 && sd <= 1.001, "{s}");
        assert!(s["answered"].as_i64().unwrap() > 0);
        assert!(s["class_mean"].as_f64().unwrap().is_finite());
        // The explanation rests on the same answers and gives the stored estimate.
        let e = &entry["explanation"];
        assert_eq!(e["answered"], s["answered"], "{entry}");
        assert!(
            (e["theta"].as_f64().unwrap() - theta).abs() < 1e-6,
            "{entry}"
        );
        assert!((e["sd"].as_f64().unwrap() - sd).abs() < 1e-6, "{entry}");
        let evidence = e["evidence"].as_array().unwrap();
        assert!(!evidence.is_empty() && evidence.len() <= 3);
        let shifts: Vec<f64> = evidence
            .iter()
            .map(|x| x["shift"].as_f64().unwrap().abs())
            .collect();
        assert!(shifts.windows(2).all(|w| w[0] >= w[1]), "{shifts:?}");
        // A right answer moves the estimate up, a wrong one down.
        for x in evidence {
            let up = x["shift"].as_f64().unwrap() >= 0.0;
            assert_eq!(up, x["correct"].as_bool().unwrap(), "{x}");
        }
        let summary = e["summary"].as_str().unwrap();
        assert!(
            summary.contains("rests on") && summary.contains("strongest evidence"),
            "{summary}"
        );
    }
    let text = succeeded(classlens_at(&db, &["ability", "--student", "s000001"]));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("ability (±1 sd)"), "{text}");
    let nobody = classlens_at(&db, &["ability", "--student", "nobody"]);
    assert!(!nobody.status.success());
    assert!(
        String::from_utf8_lossy(&nobody.stderr).contains("no abilities for student \"nobody\"")
    );
}

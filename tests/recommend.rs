//! Suggested resources on the demo school, with the real model: reasons that
//! add up to the score, a learning path that respects prerequisites, pins and
//! hides, the edge cases (no history, everything completed, no skill, a
//! prerequisite cycle), and an offline evaluation that cannot see the future.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use classlens::recommend::evaluate::{self, Split};
use classlens::recommend::ranker::{Ranker, Settings};
use classlens::recommend::{history::History, school};
use classlens::store::{Access, Store};
use common::{analyze, classlens_at, fetched, json_output, query_f64, query_i64, succeeded, write};

/// The default demo school (600 students), built and analysed once; tests
/// that write work on a copy.
fn demo() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let db = dir.join("demo.duckdb");
        succeeded(classlens_at(&db, &["demo", "--no-tui"]));
        analyze(&db);
        db
    })
}

fn copy_of_demo(dir: &Path) -> PathBuf {
    let db = dir.join("demo.duckdb");
    std::fs::copy(demo(), &db).unwrap();
    db
}

/// The encoder's key, as analyze stored it.
fn model_key() -> String {
    let store = Store::open(demo(), Access::ReadOnly).unwrap();
    store.ranker_source().unwrap().unwrap().model
}

fn recommend(db: &Path, args: &[&str]) -> serde_json::Value {
    let mut all: Vec<&std::ffi::OsStr> =
        vec!["--db".as_ref(), db.as_os_str(), "recommend".as_ref()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    all.push("--json".as_ref());
    json_output(&all)
}

#[test]
fn every_student_gets_ten_suggestions_whose_reasons_add_up_to_their_score() {
    let db = demo();
    let students = query_i64(db, "SELECT count(*) FROM students");
    assert_eq!(
        query_i64(db, "SELECT count(DISTINCT student_id) FROM recommendations"),
        students
    );
    assert_eq!(
        query_i64(
            db,
            "SELECT count(*) FROM (SELECT student_id FROM recommendations GROUP BY 1 \
             HAVING count(*) <> 10 OR count(DISTINCT resource_id) <> 10 OR max(rank) <> 10)"
        ),
        0
    );
    // The score is the bias plus the stored contributions, exactly.
    let off = query_f64(
        db,
        "SELECT max(abs(score - (SELECT weight FROM ranker_weights WHERE feature = 'bias') \
         - (c_interest + c_difficulty_fit + c_skill_need + c_prerequisites + c_novelty \
            + c_popularity + c_classmates + c_current_skill + c_class_skill + c_upcoming))) \
         FROM recommendations",
    );
    assert!(off < 1e-9, "{off}");
    assert_eq!(
        query_i64(
            db,
            "SELECT count(*) FROM recommendations WHERE reasons = '' OR NOT isfinite(score)"
        ),
        0
    );
    // The ranker learned from the school's own completions.
    assert!(query_i64(db, "SELECT completions FROM ranker_source") > 100);
    // Diversity: lists span several skills and kinds.
    let skills_per_list = query_f64(
        db,
        "SELECT avg(n) FROM (SELECT count(DISTINCT r.skill_id) AS n FROM recommendations x \
         JOIN resources r USING (resource_id) GROUP BY x.student_id)",
    );
    println!("distinct skills per list of 10: {skills_per_list:.2}");
    assert!(skills_per_list >= 3.0);

    let shown = recommend(db, &["--student", "s000001", "--k", "3"]);
    let list = shown["suggestions"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    for s in list {
        assert!(!s["reasons"].as_array().unwrap().is_empty(), "{s}");
    }
    println!("{}", serde_json::to_string_pretty(&shown).unwrap());
}

/// The demo's truth: each student's true weakest skills at the end of term,
/// by expected share right on the skill's items under the true 2PL.
#[test]
fn suggestions_aim_at_the_students_truly_weakest_skills() {
    let db = demo();
    let truth = "WITH last AS (SELECT max(week) AS w FROM truth_abilities_weekly \
                   WHERE week < (SELECT weeks FROM truth_term)), \
                 expected AS (SELECT t.student_id, i.skill_id, \
                   avg(1 / (1 + exp(-ti.a * (t.theta - ti.b)))) AS share \
                   FROM truth_abilities_weekly t JOIN items i USING (skill_id) \
                   JOIN truth_items ti USING (item_id) \
                   WHERE t.week = (SELECT w FROM last) AND NOT ti.misbehaving GROUP BY ALL), \
                 ranked AS (SELECT *, row_number() OVER (PARTITION BY student_id ORDER BY share) AS weakest \
                   FROM expected)";
    let match_rate = |n: i64| {
        query_f64(
            db,
            &format!(
                "{truth} SELECT avg((k.weakest <= {n})::INT) FROM recommendations x \
                 JOIN resources r USING (resource_id) \
                 JOIN ranked k ON k.student_id = x.student_id AND k.skill_id = r.skill_id \
                 WHERE x.rank <= 5"
            ),
        )
    };
    for n in [3, 5, 10] {
        println!(
            "top-5 suggestions in a true weakest-{n} skill: {:.3}",
            match_rate(n)
        );
    }
    // The truth's weakest third (10 of 30 skills) and weaker half (below the
    // student's own mean), against their base rates of 1/3 and about 1/2.
    let weaker_half = query_f64(
        db,
        &format!(
            "{truth}, rel AS (SELECT *, share - avg(share) OVER (PARTITION BY student_id) AS below \
             FROM expected) \
             SELECT avg((k.below < 0)::INT) FROM recommendations x \
             JOIN resources r USING (resource_id) \
             JOIN rel k ON k.student_id = x.student_id AND k.skill_id = r.skill_id \
             WHERE x.rank <= 5"
        ),
    );
    println!("top-5 suggestions in a skill below the student's own mean: {weaker_half:.3}");
    // Measured 0.569 and 0.717 at the default gap priority (0.75); 0.747 and 0.872 at 2,
    // where NDCG on what students open falls to random's (README).
    assert!(match_rate(10) >= 0.55 && weaker_half >= 0.7);
}

#[test]
fn the_learning_path_puts_prerequisites_first_and_names_a_resource() {
    let db = demo();
    // No step comes after a skill that needs it.
    let inverted = "SELECT count(*) FROM learning_paths a JOIN learning_paths b \
                    ON a.student_id = b.student_id AND a.step < b.step \
                    JOIN skill_prereqs p ON p.skill_id = a.skill_id AND p.prereq_id = b.skill_id";
    assert_eq!(query_i64(db, inverted), 0);
    assert!(query_i64(db, "SELECT count(DISTINCT student_id) FROM learning_paths") > 300);
    // Each step is unmastered, and its resource (if any) is of its skill.
    assert_eq!(
        query_i64(
            db,
            "SELECT count(*) FROM learning_paths p LEFT JOIN resources r USING (resource_id) \
             WHERE p.mastery >= 0.7 OR (p.resource_id IS NOT NULL AND r.skill_id <> p.skill_id)"
        ),
        0
    );
}

#[test]
fn pins_and_hides_are_honoured_stored_and_kept_by_the_next_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let db = copy_of_demo(dir.path());
    let before = recommend(&db, &["--student", "s000002"]);
    let first = before["suggestions"][0]["resource_id"]
        .as_str()
        .unwrap()
        .to_string();
    let hidden = recommend(&db, &["--student", "s000002", "--hide", &first]);
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["resource_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        !ids(&hidden).contains(&first),
        "hidden {first} still suggested"
    );
    assert_eq!(ids(&hidden).len(), 10);
    // Pin something not suggested: it comes first, saying why.
    let pin = query_string_of(
        &db,
        &format!(
            "SELECT min(resource_id) FROM resources WHERE resource_id NOT IN \
         (SELECT resource_id FROM recommendations WHERE student_id = 's000002') AND resource_id <> '{first}'"
        ),
    );
    let pinned = recommend(&db, &["--student", "s000002", "--pin", &pin]);
    assert_eq!(pinned["suggestions"][0]["resource_id"], pin.as_str());
    assert_eq!(pinned["suggestions"][0]["pinned"], true);
    assert_eq!(
        pinned["suggestions"][0]["reasons"][0],
        "pinned by a teacher"
    );
    assert!(!ids(&pinned).contains(&first));
    // A new analysis keeps both.
    let report = analyze(&db);
    assert_eq!(report["recommendations"]["pins"], 1);
    assert_eq!(report["recommendations"]["hides"], 1);
    let after = recommend(&db, &["--student", "s000002"]);
    assert_eq!(after["suggestions"][0]["resource_id"], pin.as_str());
    assert!(!ids(&after).contains(&first));
    // Cleared, the hidden one may come back; unknown ids are named.
    recommend(&db, &["--student", "s000002", "--clear", &first]);
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM recommendation_overrides WHERE action = 'hide'"
        ),
        0
    );
    let out = classlens_at(
        &db,
        &["recommend", "--student", "s000002", "--hide", "r9999"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no resource \"r9999\""), "{err}");
    let out = classlens_at(&db, &["recommend", "--student", "nobody"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no student \"nobody\""));
}

fn query_string_of(db: &Path, sql: &str) -> String {
    common::query_string(db, sql)
}

/// A resource tied to no skill: every feature still has a value (need 0,
/// prerequisites met, fit against the student's mean ability), it is scored
/// like any other, and a teacher can pin it.
#[test]
fn a_resource_with_no_skill_is_scored_and_can_be_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let db = copy_of_demo(dir.path());
    let more = write(
        dir.path(),
        "resources.csv",
        "resource_id,kind,title,description,skill_id,difficulty,minutes\n\
         rfree,article,How to Plan Your Revision Week,A study-skills guide for any subject,,,12\n",
    );
    succeeded(classlens_at(&db, &["ingest", &more.to_string_lossy()]));
    analyze(&db);
    let pinned = recommend(&db, &["--student", "s000003", "--pin", "rfree"]);
    let first = &pinned["suggestions"][0];
    assert_eq!(first["resource_id"], "rfree");
    assert_eq!(first["skill"], "");
    assert!(first["mastery"].is_null(), "{first}");
    assert!(first["score"].as_f64().unwrap().is_finite());
    let p = first["predicted_success"].as_f64().unwrap();
    assert!(p > 0.0 && p < 1.0, "{first}");
    // Unpinned it competes on its score: finite for everyone, never NaN.
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM recommendations WHERE resource_id = 'rfree' AND NOT isfinite(score)"
        ),
        0
    );
}

/// A student with no history at all, and one who completed every resource.
#[test]
fn a_new_student_and_one_who_completed_everything_still_get_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let db = copy_of_demo(dir.path());
    let class = query_string_of(&db, "SELECT min(class_id) FROM classes");
    let students = write(
        dir.path(),
        "students.csv",
        format!(
            "student_id,class_id,display_name,external_id\n\
             new1,{class},New Student,\ndone1,{class},Done Student,\n"
        ),
    );
    let resources: Vec<String> = common::query_string(
        &db,
        "SELECT string_agg(resource_id, ',' ORDER BY resource_id) FROM resources",
    )
    .split(',')
    .map(str::to_string)
    .collect();
    let mut views = "student_id,resource_id,time,watched_seconds,completed\n".to_string();
    for (i, r) in resources.iter().enumerate() {
        views.push_str(&format!(
            "done1,{r},2026-03-{:02} {:02}:{:02}:00,600,true\n",
            2 + i / 60,
            8 + (i % 60) / 10,
            (i % 10) * 5
        ));
    }
    let views = write(dir.path(), "views.csv", views);
    succeeded(classlens_at(
        &db,
        &[
            "ingest",
            &students.to_string_lossy(),
            &views.to_string_lossy(),
        ],
    ));
    analyze(&db);
    let new = recommend(&db, &["--student", "new1"]);
    assert_eq!(new["suggestions"].as_array().unwrap().len(), 10);
    for s in new["suggestions"].as_array().unwrap() {
        assert!(s["score"].as_f64().unwrap().is_finite());
    }
    let done = recommend(&db, &["--student", "done1"]);
    let list = done["suggestions"].as_array().unwrap();
    assert_eq!(list.len(), 10, "still something to revisit");
    // Nothing is new to them, so novelty cannot be a reason; every step of
    // their path says no resource is left unfinished.
    for s in list {
        let reasons = s["reasons"].as_array().unwrap();
        assert!(!reasons.iter().any(|r| r == "new to them"), "{s}");
    }
    // With no work of their own lately, both follow what their class is on.
    for who in [&new, &done] {
        let path = who["learning_path"].as_array().unwrap();
        assert!(!path.is_empty(), "{who}");
        assert!(
            path.iter()
                .any(|s| s["why"].as_str().unwrap().contains("their class")),
            "{who}"
        );
    }
    for step in done["learning_path"].as_array().unwrap() {
        assert!(step["resource_id"].is_null(), "{step}");
    }
    for step in new["learning_path"].as_array().unwrap() {
        assert!(!step["resource_id"].is_null(), "{step}");
    }
}

#[test]
fn a_prerequisite_cycle_is_refused_at_ingest_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.duckdb");
    common::ingest(&db, &common::school_files(dir.path())).unwrap();
    // The small school has "ratio needs frac"; this closes the circle.
    let more = dir.path().join("more");
    std::fs::create_dir(&more).unwrap();
    let edge = write(
        &more,
        "skill_prereqs.csv",
        "skill_id,prereq_id\nfrac,ratio\n",
    );
    let report = common::rejected(&db, &[edge]);
    let text = common::text(&report);
    assert!(text.contains("skill_prereqs.csv:2"), "{text}");
    assert!(text.contains("frac needs ratio needs frac"), "{text}");
    assert_eq!(
        common::count(&db, "skill_prereqs"),
        1,
        "nothing was written"
    );
}

fn history() -> History {
    let store = Store::open(demo(), Access::ReadOnly).unwrap();
    school::history(&store, &model_key(), 1).unwrap()
}

/// Features at a cut come only from before it: the context and the ranker
/// trained for an evaluation are the same whether or not the future is there.
#[test]
fn the_evaluation_split_lets_no_future_event_into_training() {
    let full = history();
    let split = Split::last_weeks(&full, 3).unwrap();
    let past = full.before(split.cut);
    assert!(past.views.len() < full.views.len() && past.answers.len() < full.answers.len());
    let (a, b) = (full.context_at(split.cut), past.context_at(split.cut));
    for (x, y) in a.students.iter().zip(&b.students) {
        assert_eq!(x.ability, y.ability, "{}", x.id);
        assert_eq!(x.interest, y.interest, "{}", x.id);
        assert_eq!(x.engagement, y.engagement, "{}", x.id);
        assert_eq!(x.recent_skills, y.recent_skills, "{}", x.id);
    }
    assert_eq!(a.crowd.completions, b.crowd.completions);
    let trained =
        |h: &History| Ranker::train(&evaluate::training_rows(h, split.train_cut, split.cut));
    assert_eq!(trained(&full), trained(&past));
    // And the outcomes it is tested on are all at or after the cut.
    let outcomes = full.outcomes(split.cut, split.end);
    let opened_after: usize = outcomes.iter().map(|o| o.len()).sum();
    assert!(opened_after > 500, "{opened_after}");
}

/// The history's context just after the last event is the one analyze builds
/// from the stored tables: the two ways in agree.
#[test]
fn the_stored_tables_and_the_history_give_the_same_context() {
    let store = Store::open(demo(), Access::ReadOnly).unwrap();
    let school::Now {
        ctx: now, latest, ..
    } = school::context_now(&store, &model_key()).unwrap();
    let then = history().context_at(latest.unwrap() + 1);
    assert_eq!(now.students.len(), then.students.len());
    let mut compared = 0;
    for (x, y) in now.students.iter().zip(&then.students) {
        assert_eq!(x.id, y.id);
        for (a, b) in x.ability.iter().zip(&y.ability) {
            match (a, b) {
                (Some(a), Some(b)) => {
                    assert!(
                        (a.0 - b.0).abs() < 1e-6 && (a.1 - b.1).abs() < 1e-6,
                        "{a:?} {b:?}"
                    );
                    compared += 1;
                }
                (None, None) => {}
                _ => panic!("{}: {a:?} vs {b:?}", x.id),
            }
        }
        assert_eq!(x.engagement, y.engagement);
        assert_eq!(x.recent_skills.len(), y.recent_skills.len());
        if let (Some(p), Some(q)) = (&x.interest, &y.interest) {
            let cos: f32 = p.iter().zip(q).map(|(a, b)| a * b).sum();
            assert!(cos > 0.9999, "{}: {cos}", x.id);
        }
    }
    assert!(compared > 1000);
    assert_eq!(now.crowd.completions, then.crowd.completions);
}

/// The targets on the demo's held-out weeks.
#[test]
fn the_ranker_beats_popularity_twice_over_and_every_single_signal() {
    let e = evaluate::evaluate(
        &history(),
        Split::last_weeks(&history(), 3).unwrap(),
        10,
        Settings {
            gap_priority: 0.0,
            ..Settings::default()
        },
        Settings::default(),
    );
    for m in &e.methods {
        println!(
            "{:<45} P@10 {:.3} R@10 {:.3} NDCG@10 {:.3} ({:.3}-{:.3}) coverage {:.2} diversity {:.2}",
            m.method,
            m.precision,
            m.recall,
            m.ndcg,
            m.ndcg_low,
            m.ndcg_high,
            m.coverage,
            m.diversity
        );
    }
    println!("{:#?}\n{:?}\nweights {:?}", e.versus, e.ab, e.weights);
    // The deployed ranker (B) at least doubles popularity's NDCG, interval
    // included, and beats every single signal with a paired interval above 0.
    assert_eq!(e.versus[0].a, "popularity");
    assert!(e.versus[0].ratio_low >= 2.0, "{:?}", e.versus[0]);
    for v in &e.versus {
        assert!(v.low > 0.0, "{v:?}");
    }
    // The CLI prints the same table.
    let out = succeeded(classlens_at(
        demo(),
        &["eval", "--model-dir", &fetched().to_string_lossy()],
    ));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("popularity") && text.contains("A/B"),
        "{text}"
    );
}

/// One student's suggestions made on demand, from the stored inputs and
/// crowd signals, are the ones analyze stored for them.
#[test]
fn suggestions_on_demand_match_the_stored_ones() {
    let store = Store::open(demo(), Access::ReadOnly).unwrap();
    for id in ["s000001", "s000150", "s000333", "s000600"] {
        let (made, ctx) = school::on_demand(&store, id, school::STORED).unwrap();
        let fresh: Vec<&str> = made
            .suggestions
            .iter()
            .map(|s| ctx.catalog.resources[s.resource].id.as_str())
            .collect();
        let stored: Vec<String> = store
            .student_recommendations(id)
            .unwrap()
            .into_iter()
            .map(|s| s.resource_id)
            .collect();
        assert_eq!(fresh, stored, "{id}");
    }
}

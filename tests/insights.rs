//! What the comments say, on the demo school against its ground truth, with
//! the real model and the shipped sentiment head: sentiment, language, topics,
//! interest profiles, search by meaning; and `classlens sentiment` on any text.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{analyze, classlens_at, fetched, json_output, query_i64, query_string, succeeded};

/// The default demo school (600 students), analysed for every test here, and
/// analysed a second time at once (tests only read it afterwards: a writer
/// would lock the others out), with that second analysis's report.
fn demo_and_second_analysis() -> &'static (PathBuf, serde_json::Value) {
    static DB: OnceLock<(PathBuf, serde_json::Value)> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let db = dir.join("demo.duckdb");
        succeeded(classlens_at(&db, &["demo", "--no-tui"]));
        analyze(&db);
        let again = analyze(&db);
        (db, again)
    })
}

fn demo() -> &'static Path {
    &demo_and_second_analysis().0
}

fn ratio(db: &Path, sql: &str) -> f64 {
    query_string(db, &format!("SELECT round(({sql}), 4)::VARCHAR"))
        .parse()
        .unwrap()
}

#[test]
fn sentiment_matches_the_demo_truth() {
    let db = demo();
    let english = "FROM comment_insights i JOIN truth_comments t USING (comment_id) \
                   WHERE t.language = 'en'";
    let accuracy = ratio(
        db,
        &format!("SELECT avg((i.sentiment IS NOT DISTINCT FROM t.sentiment)::INT) {english}"),
    );
    println!("sentiment accuracy on the demo's English comments: {accuracy}");
    // The target is 0.90. On this school (2,883 English comments, a
    // standard error of 0.006) the shipped head reaches 0.899; on 100,669
    // comments of a 20,000-student demo 0.909, and 0.909-0.916 on seeds 1-3
    // (benches/comments.sh). This floor catches a head or a pipeline that got worse.
    assert!(accuracy >= 0.89, "accuracy {accuracy}");
    // Each label is found, not one label for everything.
    for label in ["negative", "neutral", "positive"] {
        let recall = ratio(
            db,
            &format!(
                "SELECT avg((i.sentiment = t.sentiment)::INT) {english} AND t.sentiment = '{label}'"
            ),
        );
        println!("recall of {label}: {recall}");
        assert!(recall >= 0.8, "{label}: {recall}");
    }
    // Calibration: among comments scored at p >= 0.9, at least 85% are right;
    // at p < 0.6 clearly fewer.
    let sure = ratio(
        db,
        &format!("SELECT avg((i.sentiment = t.sentiment)::INT) {english} AND i.probability >= 0.9"),
    );
    let unsure = ratio(
        db,
        &format!("SELECT avg((i.sentiment = t.sentiment)::INT) {english} AND i.probability < 0.6"),
    );
    println!("right when p >= 0.9: {sure}; when p < 0.6: {unsure}");
    assert!(sure >= 0.85 && unsure < sure - 0.15, "{sure} vs {unsure}");
}

#[test]
fn key_phrases_are_words_of_the_comment() {
    let db = demo();
    let rows = query_string(
        db,
        "SELECT string_agg(lower(c.text) || '\t' || coalesce(i.key_phrases, ''), '\n') \
         FROM comment_insights i JOIN comments c USING (comment_id) \
         WHERE i.language = 'en' AND i.status = 'scored'",
    );
    let (mut with, mut total) = (0, 0);
    for line in rows.lines() {
        let (text, phrases) = line.split_once('\t').unwrap();
        total += 1;
        if phrases.is_empty() {
            continue;
        }
        with += 1;
        let phrases: Vec<&str> = phrases.split(" | ").collect();
        assert!(phrases.len() <= 3, "{line}");
        for p in phrases {
            // Each word of the phrase is a word of the comment (punctuation aside).
            for word in p.split(' ') {
                assert!(text.contains(word), "{p:?} not in {text:?}");
            }
        }
    }
    println!("{with} of {total} scored English comments have key phrases");
    assert!(with as f64 >= 0.95 * total as f64);
}

#[test]
fn languages_without_labelled_data_are_labelled_not_scored() {
    let db = demo();
    let foreign = query_i64(
        db,
        "SELECT count(*) FROM truth_comments WHERE language NOT IN ('en', 'zh')",
    );
    assert!(foreign > 30);
    let unsupported = query_i64(
        db,
        "SELECT count(*) FROM comment_insights i JOIN truth_comments t USING (comment_id) \
         WHERE t.language NOT IN ('en', 'zh') AND i.status = 'unsupported language' \
         AND i.sentiment IS NULL",
    );
    let english_unscored = query_i64(
        db,
        "SELECT count(*) FROM comment_insights i JOIN truth_comments t USING (comment_id) \
         WHERE t.language = 'en' AND i.status <> 'scored'",
    );
    println!(
        "{unsupported} of {foreign} comments in unlabelled languages not scored; \
         {english_unscored} English ones unscored"
    );
    assert!(unsupported as f64 >= 0.85 * foreign as f64);
    assert_eq!(english_unscored, 0);
    // Chinese is read by the multilingual encoder and its head (split encoders,
    // the default), never taken for English.
    let chinese = "FROM comment_insights i JOIN truth_comments t USING (comment_id) \
                   WHERE t.language = 'zh'";
    assert!(query_i64(db, &format!("SELECT count(*) {chinese}")) > 5);
    assert_eq!(
        query_i64(
            db,
            &format!("SELECT count(*) {chinese} AND (i.status <> 'scored' OR i.language <> 'zh')")
        ),
        0
    );
}

#[test]
fn topics_match_the_demo_truth() {
    let db = demo();
    // Precision@1 of the topic read from the text, where one passed the threshold,
    // and how many texts got one.
    let comments = "FROM comment_insights i JOIN truth_comments t USING (comment_id) \
                    WHERE t.mentions_topic AND t.language = 'en'";
    let comment_precision = ratio(
        db,
        &format!("SELECT avg((i.skill_id = t.skill_id)::INT) {comments} AND i.topic_from = 'text'"),
    );
    let comment_coverage = ratio(
        db,
        &format!("SELECT avg((i.topic_from = 'text')::INT) {comments}"),
    );
    let searches = "FROM search_insights i JOIN truth_searches t USING (student_id, time, query) \
                    WHERE t.skill_id IS NOT NULL";
    let search_precision = ratio(
        db,
        &format!(
            "SELECT avg((i.skill_id = t.skill_id)::INT) {searches} AND i.skill_id IS NOT NULL"
        ),
    );
    let search_coverage = ratio(
        db,
        &format!("SELECT avg((i.skill_id IS NOT NULL)::INT) {searches}"),
    );
    let all_comments = ratio(
        db,
        "SELECT avg((i.skill_id IS NOT DISTINCT FROM t.skill_id)::INT) FROM comment_insights i \
         JOIN truth_comments t USING (comment_id)",
    );
    println!(
        "topic precision@1: comments naming their topic {comment_precision} (on {comment_coverage} \
         of them), searches on a skill {search_precision} (on {search_coverage}); all comments, \
         with the resource's skill where the text names none: {all_comments}"
    );
    assert!(comment_precision >= 0.85 && search_precision >= 0.85 && all_comments >= 0.85);
    assert!(comment_coverage >= 0.8 && search_coverage >= 0.8);
    // Off-topic searches mostly get no topic.
    let off = ratio(
        db,
        "SELECT avg((i.skill_id IS NULL)::INT) FROM search_insights i \
         JOIN truth_searches t USING (student_id, time, query) WHERE t.skill_id IS NULL",
    );
    println!("off-topic searches without a topic: {off}");
    assert!(off >= 0.7);
}

/// Prints how well each threshold tells texts that name a skill from those
/// that do not (balanced accuracy), and checks `topics::THRESHOLD` is within
/// 0.01 of the best.
#[test]
fn topic_threshold_is_the_demo_optimum() {
    let db = demo();
    let model_dir = fetched();
    let encoder = classlens::text::encoder::Encoder::load(
        model_dir,
        classlens::text::encoder::DeviceChoice::Cpu,
        256,
    )
    .unwrap();
    let store = classlens::store::Store::open_read_only(db, false).unwrap();
    let key =
        classlens::text::model::verify(&classlens::text::model::default_manifest(), model_dir)
            .map(|i| i.cache_key())
            .unwrap();
    let topics = classlens::text::insights::topic_set(&store, &key).unwrap();
    // (text, names a skill) from the truth: comments that mention their topic or
    // not, searches on a skill or off-topic; each distinct text once.
    let rows = query_string(
        db,
        "SELECT string_agg(DISTINCT line, '\n') FROM (
            SELECT (CASE WHEN t.mentions_topic THEN '1' ELSE '0' END) || c.text AS line
            FROM comments c JOIN truth_comments t USING (comment_id) WHERE t.language = 'en'
            UNION ALL
            SELECT (CASE WHEN t.skill_id IS NULL THEN '0' ELSE '1' END) || t.query
            FROM truth_searches t)",
    );
    let labelled: Vec<(bool, String)> = rows
        .lines()
        .map(|l| (l.starts_with('1'), classlens::text::normalise(&l[1..])))
        .filter(|(_, t)| !t.is_empty())
        .collect();
    let texts: Vec<&str> = labelled.iter().map(|(_, t)| t.as_str()).collect();
    let vectors = encoder.encode(&texts, 64).unwrap();
    let best: Vec<f32> = vectors
        .iter()
        .map(|v| topics.best(v).map_or(0.0, |b| b.1))
        .collect();
    // Balanced accuracy: texts naming no skill are few (a tenth of searches,
    // a fifth of comments), and plain accuracy would reward calling everything a topic.
    let accuracy = |threshold: f32| {
        let recall = |names: bool| {
            let group: Vec<f32> = labelled
                .iter()
                .zip(&best)
                .filter(|((n, _), _)| *n == names)
                .map(|(_, s)| *s)
                .collect();
            group.iter().filter(|s| (**s >= threshold) == names).count() as f64 / group.len() as f64
        };
        (recall(true) + recall(false)) / 2.0
    };
    let mut top = (0.0, 0.0);
    for step in 5..=50 {
        let t = step as f32 / 100.0;
        let a = accuracy(t);
        println!("threshold {t:.2}: {a:.4}");
        if a > top.1 {
            top = (t, a);
        }
    }
    let chosen = accuracy(classlens::text::topics::THRESHOLD);
    println!(
        "best {:.2} ({:.4}); THRESHOLD {} gives {chosen:.4}",
        top.0,
        top.1,
        classlens::text::topics::THRESHOLD
    );
    assert!(chosen >= top.1 - 0.01);
}

/// Ten queries in words of our own, each meaning one (skill, sentiment) of the
/// demo's comments; recall@10 = relevant among the top ten over min(10, relevant).
#[test]
fn search_finds_paraphrases() {
    let db = demo();
    let queries = [
        ("I'm lost with fractions", "math.fractions", "negative"),
        (
            "finally understand long division",
            "math.whole_numbers",
            "positive",
        ),
        (
            "the circuits video made no sense to me",
            "sci.electricity",
            "negative",
        ),
        (
            "is the solar system going to be on the test",
            "sci.earth_space",
            "neutral",
        ),
        (
            "really enjoyed learning about food chains",
            "sci.ecosystems",
            "positive",
        ),
        (
            "still confused by linear equations",
            "math.linear_equations",
            "negative",
        ),
        (
            "thanks, commas are clear now",
            "ela.punctuation",
            "positive",
        ),
        (
            "when is the percentages homework due",
            "math.decimals_percent",
            "neutral",
        ),
        (
            "genetics is too hard and boring",
            "sci.genetics",
            "negative",
        ),
        (
            "poetry and metaphors explained really well",
            "ela.poetry",
            "positive",
        ),
    ];
    let mut total = 0.0;
    for (query, skill, sentiment) in queries {
        let out = json_output(&[
            "--db".as_ref(),
            db.as_os_str(),
            "search".as_ref(),
            query.as_ref(),
            "--json".as_ref(),
            "--model-dir".as_ref(),
            fetched().as_os_str(),
        ]);
        let hits = out["hits"].as_array().unwrap();
        assert_eq!(hits.len(), 10);
        let ids: Vec<String> = hits
            .iter()
            .map(|h| format!("'{}'", h["comment_id"].as_str().unwrap()))
            .collect();
        let truth =
            format!("skill_id = '{skill}' AND sentiment = '{sentiment}' AND language = 'en'");
        let relevant = query_i64(
            db,
            &format!("SELECT count(*) FROM truth_comments WHERE {truth} AND mentions_topic"),
        );
        let found = query_i64(
            db,
            &format!(
                "SELECT count(*) FROM truth_comments WHERE {truth} AND comment_id IN ({})",
                ids.join(", ")
            ),
        );
        let recall = found as f64 / relevant.min(10) as f64;
        println!("{query:<48} recall@10 {recall:.2} ({found} of min(10, {relevant}))");
        total += recall;
    }
    let mean = total / queries.len() as f64;
    println!("mean recall@10: {mean:.3}");
    assert!(mean >= 0.8, "{mean}");
}

/// Runs `classlens search --json` on `db` and returns (comment ids, scores, index size).
fn search_json(
    db: &Path,
    query: &str,
    extra: &[&str],
) -> (Vec<String>, Vec<f64>, serde_json::Value) {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "--db".as_ref(),
        db.as_os_str(),
        "search".as_ref(),
        query.as_ref(),
        "--json".as_ref(),
        "--model-dir".as_ref(),
        fetched().as_os_str(),
    ];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    let out = json_output(&args);
    let hits = out["hits"].as_array().unwrap();
    (
        hits.iter()
            .map(|h| h["comment_id"].as_str().unwrap().to_string())
            .collect(),
        hits.iter().map(|h| h["score"].as_f64().unwrap()).collect(),
        out["index"].clone(),
    )
}

#[test]
fn the_search_index_gives_the_database_scans_answers_and_is_never_trusted_stale() {
    // A copy of the demo, so the index can be moved and broken without other tests noticing.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("copy.duckdb");
    std::fs::copy(demo(), &db).unwrap();
    let index = classlens::text::index::path_for(&db);
    std::fs::copy(classlens::text::index::path_for(demo()), &index).unwrap();
    // The index holds the English encoder's vectors: every text but those
    // split encoders gave the multilingual one.
    let distinct = query_i64(
        &db,
        "SELECT count(DISTINCT i.text_hash) FROM comment_insights i \
         JOIN embeddings e ON e.text_hash = i.text_hash AND e.model LIKE 'all-MiniLM-L6-v2@%'",
    );
    for (query, extra) in [
        ("I'm lost with fractions", &[][..]),
        (
            "the video is too slow",
            &["--class", "c03", "--limit", "30"][..],
        ),
    ] {
        let (ids, scores, used) = search_json(&db, query, extra);
        assert_eq!(used, distinct, "the index holds every distinct text");
        std::fs::rename(&index, dir.path().join("aside")).unwrap();
        let (scan_ids, scan_scores, none) = search_json(&db, query, extra);
        assert!(none.is_null(), "no index, no claim to one");
        std::fs::rename(dir.path().join("aside"), &index).unwrap();
        assert_eq!(ids, scan_ids, "{query}");
        for (a, b) in scores.iter().zip(&scan_scores) {
            assert!((a - b).abs() < 1e-5);
        }
    }
    // Insights changed after the index was written (its stamp no longer
    // matches): not used.
    duckdb::Connection::open(&db)
        .unwrap()
        .execute_batch("UPDATE insight_source SET updated_at = updated_at + INTERVAL 1 SECOND")
        .unwrap();
    let (_, _, used) = search_json(&db, "I'm lost with fractions", &[]);
    assert!(used.is_null(), "a stale index was used");
    // A broken or foreign file is ignored too: the search reads the database.
    std::fs::write(&index, b"CLSRCH01 but nothing after").unwrap();
    let (ids, _, used) = search_json(&db, "I'm lost with fractions", &[]);
    assert!(used.is_null());
    assert_eq!(ids.len(), 10);
}

#[test]
fn search_filters_by_class_and_time_and_refuses_bad_input() {
    let db = demo();
    let class = query_string(db, "SELECT min(class_id) FROM classes");
    let out = json_output(&[
        "--db".as_ref(),
        db.as_os_str(),
        "search".as_ref(),
        "I don't understand this".as_ref(),
        "--class".as_ref(),
        class.as_ref(),
        "--since".as_ref(),
        "2026-03-01".as_ref(),
        "--limit".as_ref(),
        "25".as_ref(),
        "--json".as_ref(),
        "--model-dir".as_ref(),
        fetched().as_os_str(),
    ]);
    let hits = out["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    let mut last = f64::INFINITY;
    for h in hits {
        assert_eq!(h["class_id"], class.as_str());
        assert!(h["time"].as_str().unwrap() >= "2026-03-01");
        let score = h["score"].as_f64().unwrap();
        assert!(score <= last + 1e-6, "sorted by score");
        last = score;
    }
    let out = classlens_at(
        db,
        &["search", "  ", "--model-dir", fetched().to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the search is empty"));
    let out = classlens_at(
        db,
        &[
            "search",
            "fractions",
            "--since",
            "March",
            "--model-dir",
            fetched().to_str().unwrap(),
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since March: not a date"));
}

#[test]
fn interests_rest_on_each_students_texts() {
    let db = demo();
    // Every student who wrote or searched has a unit-length profile.
    let writers = query_i64(
        db,
        "SELECT count(DISTINCT student_id) FROM (SELECT student_id FROM comments \
         UNION ALL SELECT student_id FROM searches)",
    );
    assert_eq!(
        query_i64(db, "SELECT count(*) FROM interest_profiles"),
        writers
    );
    // Top topics are ranked 1..3 with evidence behind each.
    assert_eq!(
        query_i64(
            db,
            "SELECT count(*) FROM student_topics WHERE comments + searches = 0 OR rank NOT IN (1, 2, 3)"
        ),
        0
    );
    // A student's top topic is a skill they searched or wrote about most: on the
    // demo it is one of the skills their searches or comments were truly about.
    let agree = ratio(
        db,
        "SELECT avg((EXISTS (SELECT 1 FROM truth_searches t WHERE t.student_id = s.student_id \
         AND t.skill_id = s.skill_id) OR EXISTS (SELECT 1 FROM truth_comments t \
         JOIN comments c USING (comment_id) WHERE c.student_id = s.student_id \
         AND t.skill_id = s.skill_id))::INT) FROM student_topics s WHERE rank = 1",
    );
    println!("top topic among the student's true search and comment skills: {agree}");
    assert!(agree >= 0.9);
    // Nothing new: nothing recomputed.
    let again = &demo_and_second_analysis().1;
    assert_eq!(again["comments"]["comments"], 0);
    assert_eq!(again["comments"]["rebuilt"], false);
}

#[test]
fn the_sentiment_command_scores_any_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("texts.txt");
    let long = "the video explains everything really well and I loved it ".repeat(2000);
    let mut f = std::fs::File::create(&file).unwrap();
    writeln!(f, "I finally understand fractions, thank you!").unwrap();
    writeln!(f, "This makes no sense and I give up.").unwrap();
    writeln!(f).unwrap();
    writeln!(f, "这个视频讲得很清楚，我终于明白了。").unwrap();
    writeln!(f, "{long}").unwrap();
    writeln!(f, "\u{200b}\u{200b}").unwrap();
    drop(f);
    let nowhere = dir.path().join("none.duckdb");
    let out = succeeded(classlens_at(
        &nowhere,
        &[
            "sentiment",
            file.to_str().unwrap(),
            "--json",
            "--model-dir",
            fetched().to_str().unwrap(),
        ],
    ));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0]["label"], "positive");
    let phrases: Vec<&str> = lines[0]["key_phrases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        phrases.iter().any(|p| p.contains("fractions")),
        "{phrases:?}"
    );
    assert!(
        lines[3]["key_phrases"].as_array().unwrap().is_empty(),
        "not English"
    );
    assert_eq!(lines[1]["label"], "negative");
    assert_eq!(lines[2]["status"], "empty");
    // Chinese: read by the multilingual encoder, scored by its head.
    assert_eq!(lines[3]["status"], "scored");
    assert_eq!(lines[3]["language"], "zh");
    assert_eq!(lines[3]["label"], "positive");
    assert_eq!(lines[4]["label"], "positive");
    assert_eq!(lines[5]["status"], "empty");
    for l in &lines[..2] {
        let p = l["probabilities"].as_array().unwrap();
        let sum: f64 = p.iter().map(|x| x.as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-4);
    }
    // No database: no topics, and no failure. With the demo: topics.
    assert_eq!(lines[0]["topics"].as_array().unwrap().len(), 0);
    let csv = dir.path().join("c.csv");
    std::fs::write(
        &csv,
        "id,comment\n1,\"Long division finally makes sense, thanks!\"\n",
    )
    .unwrap();
    let out = succeeded(classlens_at(
        demo(),
        &[
            "sentiment",
            csv.to_str().unwrap(),
            "--column",
            "comment",
            "--json",
            "--model-dir",
            fetched().to_str().unwrap(),
        ],
    ));
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(line["line"], 2);
    assert_eq!(line["topics"][0]["skill_id"], "math.whole_numbers");
    // A missing column is named with the columns there are.
    let out = classlens_at(
        demo(),
        &["sentiment", csv.to_str().unwrap(), "--column", "text"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("c.csv:1: no column \"text\" (the columns are: id, comment)"),
        "{err}"
    );
}

#[test]
fn a_broken_head_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let head = dir.path().join("head.safetensors");
    let shipped = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/sentiment-head.safetensors"),
    )
    .unwrap();
    std::fs::write(&head, &shipped[..shipped.len() / 2]).unwrap();
    let out = classlens_at(
        &dir.path().join("x.duckdb"),
        &["sentiment", "-", "--head", head.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("head.safetensors is not a sentiment head"),
        "{err}"
    );
}

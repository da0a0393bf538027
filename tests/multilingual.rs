//! Comments in Chinese beside English ones, on a demo school where a third of
//! the students write in Chinese (`demo --languages en,zh`), with the real
//! models: both encoder routes, the Chinese comments' sentiment and topics
//! against the demo's truth, and searches that cross languages.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use classlens::store::insights::CommentFilter;
use classlens::store::{Access, Store};
use classlens::text::encoder::{DeviceChoice, Encoder};
use classlens::text::routing::Route;
use classlens::text::sentiment::SentimentHead;
use classlens::text::{index, insights, model, search};
use common::{analyze_with, classlens_at, fetched, query_i64, query_string, succeeded};

const STUDENTS: &str = "240";

fn build_demo(db: &Path) {
    let args = [
        "demo",
        "--no-tui",
        "--students",
        STUDENTS,
        "--languages",
        "en,zh",
    ];
    succeeded(classlens_at(db, &args));
}

/// The en,zh demo school, built once; each route analyses its own copy.
fn built() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let db = dir.join("built.duckdb");
        build_demo(&db);
        db
    })
}

fn analysed(encoders: &str) -> (PathBuf, serde_json::Value) {
    let db = built().with_file_name(format!("{encoders}.duckdb"));
    std::fs::copy(built(), &db).unwrap();
    let report = analyze_with(&db, &["--encoders", encoders]);
    (db, report)
}

fn split() -> &'static (PathBuf, serde_json::Value) {
    static DB: OnceLock<(PathBuf, serde_json::Value)> = OnceLock::new();
    DB.get_or_init(|| analysed("split"))
}

fn e5() -> &'static (PathBuf, serde_json::Value) {
    static DB: OnceLock<(PathBuf, serde_json::Value)> = OnceLock::new();
    DB.get_or_init(|| analysed("e5"))
}

fn ratio(db: &Path, sql: &str) -> f64 {
    query_string(db, &format!("SELECT round(({sql}), 4)::VARCHAR"))
        .parse()
        .unwrap()
}

const CHINESE: &str = "FROM comment_insights i JOIN truth_comments t USING (comment_id) \
                       WHERE t.language = 'zh'";
const ENGLISH: &str = "FROM comment_insights i JOIN truth_comments t USING (comment_id) \
                       WHERE t.language = 'en'";

#[test]
fn the_demo_writes_a_share_of_its_students_in_chinese_saying_what_english_ones_say() {
    let db = built();
    let writers = |language: &str| {
        query_i64(
            db,
            &format!(
                "SELECT count(DISTINCT c.student_id) FROM comments c \
                 JOIN truth_comments t USING (comment_id) WHERE t.language = '{language}'"
            ),
        )
    };
    let (chinese, english) = (writers("zh"), writers("en"));
    let share = chinese as f64 / (chinese + english) as f64;
    println!("{chinese} students write in Chinese, {english} in English");
    assert!((0.2..0.4).contains(&share), "share {share}");
    // Chinese comments carry the truth English ones do, and meanings are shared
    // (all but the few written from the bank of other languages, which have none).
    let chinese = query_i64(
        db,
        "SELECT count(*) FROM truth_comments WHERE language = 'zh'",
    );
    let with_meaning = query_i64(
        db,
        "SELECT count(*) FROM truth_comments WHERE language = 'zh' AND meaning IS NOT NULL",
    );
    assert!(
        with_meaning * 100 >= chinese * 97,
        "{with_meaning} of {chinese}"
    );
    let shared = query_i64(
        db,
        "SELECT count(DISTINCT meaning) FROM truth_comments WHERE language = 'zh' \
         AND meaning IN (SELECT meaning FROM truth_comments WHERE language = 'en')",
    );
    assert!(shared >= 30, "{shared} meanings written in both languages");
    // Chinese students search in Chinese too.
    let chinese_searches = query_i64(
        db,
        "SELECT count(*) FROM searches WHERE regexp_matches(query, '[\\x{4e00}-\\x{9fff}]')",
    );
    assert!(chinese_searches > 0);
    // Same seed, same school.
    let again = built().with_file_name("again.duckdb");
    build_demo(&again);
    let texts = "SELECT string_agg(text, '|' ORDER BY comment_id) FROM comments";
    assert_eq!(query_string(db, texts), query_string(&again, texts));
}

#[test]
fn split_encoders_read_chinese_with_e5_and_english_with_minilm() {
    let (db, report) = split();
    let route = &report["route"];
    assert_ne!(route["english"], route["other"], "{route}");
    assert!(
        route["other"]
            .as_str()
            .unwrap()
            .starts_with("multilingual-e5-small"),
        "{route}"
    );
    // Every Chinese comment is scored by the multilingual head.
    let unscored = query_i64(
        db,
        &format!("SELECT count(*) {CHINESE} AND i.status <> 'scored'"),
    );
    assert_eq!(unscored, 0);
    let accuracy = ratio(
        db,
        &format!("SELECT avg((i.sentiment = t.sentiment)::INT) {CHINESE}"),
    );
    let english = ratio(
        db,
        &format!("SELECT avg((i.sentiment IS NOT DISTINCT FROM t.sentiment)::INT) {ENGLISH}"),
    );
    println!("split: sentiment accuracy, Chinese {accuracy}, English {english}");
    assert!(accuracy >= 0.8, "Chinese {accuracy}");
    assert!(english >= 0.87, "English {english}");
    // Chinese comments that name their topic find it among English skill texts.
    let topics = ratio(
        db,
        &format!(
            "SELECT avg((i.skill_id = t.skill_id AND i.topic_from = 'text')::INT) \
             {CHINESE} AND t.mentions_topic"
        ),
    );
    println!("split: topic found in Chinese comments that name one: {topics}");
    assert!(topics >= 0.35, "topics {topics}");
    // Languages with no labelled data stay unscored, still with a topic reading.
    let others = query_i64(
        db,
        "SELECT count(*) FROM comment_insights i JOIN truth_comments t USING (comment_id) \
         WHERE t.language NOT IN ('en', 'zh') AND i.status = 'scored'",
    );
    assert_eq!(others, 0);
    // Chinese writers get interest profiles in the English encoder's space,
    // from the topics of what they wrote.
    let profiled = query_i64(
        db,
        "SELECT count(DISTINCT c.student_id) FROM comments c \
         JOIN truth_comments t USING (comment_id) \
         JOIN interest_profiles p ON p.student_id = c.student_id \
         WHERE t.language = 'zh'",
    );
    let writers = query_i64(
        db,
        "SELECT count(DISTINCT c.student_id) FROM comments c \
         JOIN truth_comments t USING (comment_id) WHERE t.language = 'zh'",
    );
    println!("{profiled} of {writers} Chinese writers have an interest profile");
    assert!(profiled * 10 >= writers * 9, "{profiled} of {writers}");
}

#[test]
fn the_class_report_carries_chinese_comments_whole() {
    let (db, _) = split();
    // A Chinese comment with nothing HTML escapes, its writer and class.
    let pick = query_string(
        db,
        "SELECT concat_ws(chr(31), c.text, s.class_id) FROM comments c \
         JOIN truth_comments t USING (comment_id) JOIN students s USING (student_id) \
         WHERE t.language = 'zh' AND NOT regexp_matches(c.text, '[&<>\"'']') \
         ORDER BY c.comment_id LIMIT 1",
    );
    let (text, class) = pick.split_once('\u{1f}').unwrap();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    succeeded(classlens_at(
        db,
        &[
            "report",
            "--read-only",
            "--class",
            class,
            "--include-comments",
            "--format",
            "html,svg,png",
            "--out",
            out_dir,
        ],
    ));
    let pages: Vec<String> = common::every_file(out.path())
        .into_iter()
        .filter(|path| path.extension().is_some_and(|e| e == "html"))
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    assert!(!pages.is_empty());
    assert!(pages.iter().all(|p| p.contains("<meta charset=\"utf-8\">")));
    // Whole, and marked Chinese so a browser draws it with Chinese glyphs.
    let marked = format!("<span lang=\"zh\">{text}</span>");
    assert!(
        pages.iter().any(|p| p.contains(&marked)),
        "{marked:?} is on no page of class {class}"
    );
}

/// What the insights say of each comment, in one string.
fn insight_rows(db: &Path) -> String {
    query_string(
        db,
        "SELECT string_agg(concat_ws('|', comment_id, language, status, sentiment, skill_id), \
         '/' ORDER BY comment_id) FROM comment_insights",
    )
}

#[test]
fn switching_routes_reads_each_text_with_the_new_route_s_encoder() {
    // From e5 for everything to split: the English comments e5 read are
    // MiniLM's now, and the result is the split analysis of a fresh copy.
    let db = built().with_file_name("e5-then-split.duckdb");
    std::fs::copy(&e5().0, &db).unwrap();
    let report = analyze_with(&db, &["--encoders", "split"]);
    let encode = &report["encode"];
    assert!(encode["encoded"].as_u64().unwrap() > 0, "{report}");
    // Texts are counted once, the catalogue read by both encoders included.
    let (split_db, split_report) = split();
    assert_eq!(encode["texts"], split_report["encode"]["texts"], "{report}");
    assert!(split_report["encode"]["read_twice"].as_u64().unwrap() > 0);
    assert_eq!(insight_rows(&db), insight_rows(split_db));
}

#[test]
fn e5_for_everything_scores_both_languages_with_one_head() {
    let (db, report) = e5();
    assert_eq!(report["route"]["english"], report["route"]["other"]);
    let accuracy = |language: &str| {
        ratio(
            db,
            &format!(
                "SELECT avg((i.sentiment IS NOT DISTINCT FROM t.sentiment)::INT) \
                 FROM comment_insights i JOIN truth_comments t USING (comment_id) \
                 WHERE t.language = '{language}'"
            ),
        )
    };
    let (chinese, english) = (accuracy("zh"), accuracy("en"));
    println!("e5: sentiment accuracy, Chinese {chinese}, English {english}");
    assert!(chinese >= 0.8, "Chinese {chinese}");
    assert!(english >= 0.9, "English {english}");
}

/// Recall@10 of searches written in `from` for the comments in `to` that say
/// the same: for each of up to 60 meanings written in both, the first Chinese
/// (or English) text is the query, and a hit is a comment of that meaning among
/// the ten the search returns from the other language.
fn cross_lingual_recall(db: &Path, from: &str, to: &str) -> f64 {
    let store = Store::open(db, Access::ReadOnly).unwrap();
    let route = Route::from_source(&store.insight_source().unwrap().unwrap());
    let file = common::fetched_multilingual().join(model::multilingual_manifest().weights_file());
    let encoder = Encoder::load_multilingual(&file, DeviceChoice::Cpu).unwrap();
    let head = SentimentHead::shipped_multilingual().unwrap();
    let topics = insights::stored_topics(&store, &route.english).unwrap();
    let index = index::current(&store).unwrap();
    assert!(index.is_some(), "analyze wrote the search index");
    let listed = query_string(
        db,
        &format!(
            "SELECT string_agg(meaning || chr(31) || text, chr(30) ORDER BY hash(meaning)) FROM (
                 SELECT meaning, min(c.text) AS text
                 FROM comments c JOIN truth_comments t USING (comment_id)
                 WHERE t.language = '{from}' AND t.meaning IN
                     (SELECT meaning FROM truth_comments WHERE language = '{to}')
                 GROUP BY meaning ORDER BY hash(meaning) LIMIT 60)"
        ),
    );
    let queries: Vec<(String, String)> = listed
        .split('\u{1e}')
        .filter_map(|row| row.split_once('\u{1f}'))
        .map(|(meaning, text)| (meaning.to_string(), text.to_string()))
        .collect();
    assert!(queries.len() >= 40, "{} queries", queries.len());
    let filter = CommentFilter {
        language: Some(to.to_string()),
        ..CommentFilter::default()
    };
    let meanings = query_string(
        db,
        &format!(
            "SELECT string_agg(comment_id || chr(31) || meaning, chr(30)) FROM truth_comments \
             WHERE language = '{to}'"
        ),
    );
    let meaning_of: std::collections::HashMap<&str, &str> = meanings
        .split('\u{1e}')
        .filter_map(|row| row.split_once('\u{1f}'))
        .collect();
    let mut found = 0;
    for (meaning, text) in &queries {
        let vector = encoder
            .encode_queries(&[text.as_str()], 1)
            .unwrap()
            .remove(0);
        let query = search::Query::new(text, vector, Some(&head), &topics, &route.english);
        let hits =
            search::search(&store, &route.english, &query, &filter, 10, index.as_ref()).unwrap();
        assert!(hits.len() <= 10);
        let same = hits
            .iter()
            .any(|h| meaning_of.get(h.comment.comment_id.as_str()) == Some(&meaning.as_str()));
        if same {
            found += 1;
        } else {
            println!("{from} -> {to} missed: {text}");
        }
    }
    found as f64 / queries.len() as f64
}

#[test]
fn with_e5_for_everything_a_query_finds_what_it_means_in_the_other_language() {
    let db = &e5().0;
    let chinese_to_english = cross_lingual_recall(db, "zh", "en");
    let english_to_chinese = cross_lingual_recall(db, "en", "zh");
    println!(
        "recall@10: Chinese query -> English comments {chinese_to_english}, \
         English query -> Chinese comments {english_to_chinese}"
    );
    assert!(chinese_to_english >= 0.8, "{chinese_to_english}");
    assert!(english_to_chinese >= 0.8, "{english_to_chinese}");
}

/// `classlens search QUERY --limit 5 --json` with `extra`: the hits.
fn search_hits(db: &Path, query: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let model_dir = fetched().to_str().unwrap();
    let args = [
        &[
            "search",
            query,
            "--limit",
            "5",
            "--json",
            "--model-dir",
            model_dir,
        ][..],
        extra,
    ]
    .concat();
    let out = succeeded(classlens_at(db, &args));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["hits"].as_array().unwrap().clone()
}

#[test]
fn the_search_command_takes_a_query_in_either_language() {
    let hits = search_hits(
        &e5().0,
        "分数的练习太难了，我完全不会",
        &["--language", "en"],
    );
    assert_eq!(hits.len(), 5);
    for hit in &hits {
        assert_eq!(hit["language"], "en", "{hit}");
    }
    // Under split encoders a Chinese query is read by e5 and finds Chinese comments.
    let hits = search_hits(&split().0, "视频讲得太快了，我听不懂", &[]);
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["language"] == "zh"), "{hits:?}");
    let negative = hits.iter().filter(|h| h["sentiment"] == "negative").count();
    assert!(negative >= 3, "{hits:?}");
}

#[test]
fn the_comments_view_searches_across_languages() {
    use classlens::tui::app::App;
    use classlens::tui::theme::Theme;
    use classlens::tui::worker::{self, Answer, Request};
    let db = &e5().0;
    let store = Store::open(db, Access::ReadOnly).unwrap();
    let mut app = App::new(
        "demo.duckdb".into(),
        Theme {
            color: false,
            ascii: false,
        },
        (80, 24),
    );
    app.model_dir = Some(fetched().to_path_buf());
    let answer = worker::handle(
        &store,
        Request::CommentSearch {
            class_id: None,
            query: "I am so confused by fractions, I don't get it".into(),
            model_dir: app.model_dir.clone(),
            multilingual_dir: Some(common::fetched_multilingual().to_path_buf()),
        },
    );
    let Answer::Comments(Ok(feed)) = answer else {
        panic!("no feed");
    };
    let chinese = feed
        .comments
        .iter()
        .filter(|c| {
            c.text
                .chars()
                .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch))
        })
        .count();
    println!("{chinese} of {} hits are Chinese", feed.comments.len());
    assert!(chinese > 0, "an English query finds Chinese comments too");
}

/// The share of `language`'s searches whose topic (or lack of one) is read
/// right, with the topic anchors and without, after checking that analyze
/// stored the anchored reading.
fn search_topics_right(db: &Path, language: &str) -> (f64, f64) {
    let store = Store::open(db, Access::ReadOnly).unwrap();
    let route = Route::from_source(&store.insight_source().unwrap().unwrap());
    let model = if language == "en" {
        &route.english
    } else {
        &route.other
    };
    let reader = insights::TopicReader::stored(&store, model).unwrap();
    // Each search: its text, its true skill (or none), and the one analyze stored.
    let listed = query_string(
        db,
        &format!(
            "SELECT string_agg(i.query || chr(31) || coalesce(t.skill_id, '') || chr(31) \
             || coalesce(i.skill_id, ''), chr(30)) \
             FROM search_insights i JOIN truth_searches t USING (student_id, query) \
             WHERE i.language = '{language}'"
        ),
    );
    let rows: Vec<Vec<&str>> = listed
        .split('\u{1e}')
        .map(|row| row.split('\u{1f}').collect())
        .collect();
    assert!(rows.len() > 100, "{} searches in {language}", rows.len());
    let hashes: Vec<String> = rows
        .iter()
        .map(|r| classlens::text::text_hash(&classlens::text::normalise(r[0])))
        .collect();
    let refs: Vec<&str> = hashes.iter().map(String::as_str).collect();
    let vectors = store.vectors(model, &refs).unwrap();
    let (mut anchored_right, mut plain_right, mut read) = (0, 0, 0);
    for (row, hash) in rows.iter().zip(&hashes) {
        let Some(vector) = vectors.get(hash) else {
            continue;
        };
        let skill = |anchored: bool| {
            reader
                .named(vector, language, anchored)
                .map(|(skill, _)| skill)
                .unwrap_or_default()
        };
        let anchored = skill(true);
        assert_eq!(
            anchored, row[2],
            "analyze stored the anchored reading of {}",
            row[0]
        );
        anchored_right += usize::from(anchored == row[1]);
        plain_right += usize::from(skill(false) == row[1]);
        read += 1;
    }
    assert!(
        read * 10 >= rows.len() * 9,
        "{read} of {} searches read",
        rows.len()
    );
    (
        anchored_right as f64 / read as f64,
        plain_right as f64 / read as f64,
    )
}

#[test]
fn searches_read_their_topic_with_the_class_s_own_words() {
    let (db, _) = split();
    let store = Store::open(db, Access::ReadOnly).unwrap();
    let route = Route::from_source(&store.insight_source().unwrap().unwrap());
    let anchors = insights::TopicReader::stored(&store, &route.other)
        .unwrap()
        .anchors()
        .clone();
    drop(store);
    // The Chinese comments on each skill's resources make that skill's anchor.
    let anchored_skills = anchors.keys().filter(|(l, _)| l == "zh").count();
    let skills = query_i64(db, "SELECT count(*) FROM skills") as usize;
    assert!(
        anchored_skills * 2 >= skills,
        "{anchored_skills} of {skills} skills anchored in Chinese"
    );
    assert!(
        anchors.keys().all(|(l, _)| l != "en"),
        "under split, English is read by MiniLM"
    );
    let (anchored, plain) = search_topics_right(db, "zh");
    println!(
        "split: Chinese searches' topic (or none) right: {anchored:.3} anchored, {plain:.3} without"
    );
    assert!(
        anchored >= plain + 0.1,
        "anchored {anchored}, without {plain}"
    );
    // Under e5, English searches are read with English anchors too.
    let (db, _) = e5();
    let (anchored, plain) = search_topics_right(db, "en");
    println!(
        "e5: English searches' topic (or none) right: {anchored:.3} anchored, {plain:.3} without"
    );
    assert!(
        anchored >= plain + 0.03,
        "anchored {anchored}, without {plain}"
    );
}

//! Which encoders should read a school's texts: one demo school where a share
//! of the students write in Chinese (`demo --languages en,zh`), analysed from
//! scratch under split encoders (MiniLM for English, e5 for the rest) and
//! under e5 for everything; and the English-only demo under both, for what a
//! school that writes only English pays. Per route: analysis time, sentiment
//! and topic accuracy per language against the demo's truth, and recall@10
//! of searches across languages (a query written in one language, the
//! comments of the same meaning in the other).
//!
//! `cargo bench --bench routing -- [--students N] [--share F]` (the models where
//! `CLASSLENS_MODEL_DIR` and `CLASSLENS_MULTILINGUAL_DIR` say, or installed)

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use classlens::store::insights::CommentFilter;
use classlens::store::{Access, Store};
use classlens::text::encoder::{DeviceChoice, Encoder};
use classlens::text::routing::Route;
use classlens::text::sentiment::SentimentHead;
use classlens::text::{index, insights, language, model, search};

type Error = Box<dyn std::error::Error>;

fn flag(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn classlens(db: &Path, args: &[&str]) -> Result<(), Error> {
    let out = Command::new(env!("CARGO_BIN_EXE_classlens"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into());
    }
    Ok(())
}

fn value(db: &Path, sql: &str) -> Result<f64, Error> {
    let conn = duckdb::Connection::open_with_flags(
        db,
        duckdb::Config::default().access_mode(duckdb::AccessMode::ReadOnly)?,
    )?;
    Ok(conn
        .query_row(sql, [], |r| r.get::<_, Option<f64>>(0))?
        .unwrap_or(f64::NAN))
}

fn accuracy(db: &Path, language: &str) -> Result<(f64, f64), Error> {
    let from = format!(
        "FROM comment_insights i JOIN truth_comments t USING (comment_id) WHERE t.language = '{language}'"
    );
    Ok((
        value(
            db,
            &format!("SELECT avg((i.sentiment IS NOT DISTINCT FROM t.sentiment)::INT) {from}"),
        )?,
        value(
            db,
            &format!(
                "SELECT avg((i.skill_id = t.skill_id AND i.topic_from = 'text')::INT) {from} AND t.mentions_topic"
            ),
        )?,
    ))
}

/// The texts and meanings of comments written in `language`.
fn meanings(db: &Path, language: &str) -> Result<Vec<(String, String, String)>, Error> {
    let conn = duckdb::Connection::open_with_flags(
        db,
        duckdb::Config::default().access_mode(duckdb::AccessMode::ReadOnly)?,
    )?;
    let mut statement = conn.prepare(
        "SELECT c.comment_id, t.meaning, c.text FROM comments c JOIN truth_comments t USING (comment_id)
         WHERE t.language = ? AND t.meaning <> '' ORDER BY c.comment_id",
    )?;
    let rows = statement.query_map([language], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Recall@10 of every meaning written in both languages, queried by its first
/// `from` text, among the `to` comments the search returns.
fn recall(db: &Path, from: &str, to: &str, encoders: &Encoders) -> Result<(f64, usize), Error> {
    let store = Store::open(db, Access::ReadOnly)?;
    let source = store.insight_source()?.ok_or("not analysed")?;
    let route = Route::from_source(&source);
    let targets = meanings(db, to)?;
    let meaning_of: HashMap<&str, &str> = targets
        .iter()
        .map(|(id, meaning, _)| (id.as_str(), meaning.as_str()))
        .collect();
    let wanted: std::collections::HashSet<&str> = meaning_of.values().copied().collect();
    let mut queries: HashMap<String, String> = HashMap::new();
    for (_, meaning, text) in meanings(db, from)? {
        if wanted.contains(meaning.as_str()) {
            queries.entry(meaning).or_insert(text);
        }
    }
    let filter = CommentFilter {
        language: Some(to.to_string()),
        ..CommentFilter::default()
    };
    let mut found = 0;
    for (meaning, text) in &queries {
        let model = route.model_for(&language::detect(text)).to_string();
        let (encoder, head) = encoders.get(&model)?;
        let vector = encoder
            .encode_queries(&[text.as_str()], 1)?
            .pop()
            .unwrap_or_default();
        let topics = insights::stored_topics(&store, &model)?;
        let query = search::Query::new(text, vector, Some(head), &topics, &model);
        let index = index::current(&store)?.filter(|_| model == route.english);
        let hits = search::search(&store, &model, &query, &filter, 10, index.as_ref())?;
        if hits
            .iter()
            .any(|h| meaning_of.get(h.comment.comment_id.as_str()) == Some(&meaning.as_str()))
        {
            found += 1;
        }
    }
    Ok((found as f64 / queries.len().max(1) as f64, queries.len()))
}

/// Both encoders with their heads, loaded once.
struct Encoders {
    minilm: (String, Encoder, SentimentHead),
    e5: (String, Encoder, SentimentHead),
}

impl Encoders {
    fn load() -> Result<Encoders, Error> {
        let manifest = model::default_manifest();
        let dir = std::env::var_os("CLASSLENS_MODEL_DIR")
            .map_or_else(|| model::default_model_dir(&manifest), PathBuf::from);
        let info = model::verify(&manifest, &dir)?;
        let minilm = Encoder::load(&info.dir, DeviceChoice::Cpu, manifest.max_tokens)?;
        let manifest = model::multilingual_manifest();
        let e5_info = model::verify(&manifest, &model::multilingual_dir())?;
        let e5 = Encoder::load_multilingual(
            &e5_info.dir.join(manifest.weights_file()),
            DeviceChoice::Cpu,
        )?;
        Ok(Encoders {
            minilm: (info.cache_key(), minilm, SentimentHead::shipped()?),
            e5: (
                e5_info.cache_key(),
                e5,
                SentimentHead::shipped_multilingual()?,
            ),
        })
    }

    fn get(&self, model: &str) -> Result<(&Encoder, &SentimentHead), Error> {
        [&self.minilm, &self.e5]
            .into_iter()
            .find(|(key, _, _)| key == model)
            .map(|(_, encoder, head)| (encoder, head))
            .ok_or_else(|| format!("no encoder {model}").into())
    }
}

fn analysed(built: &Path, encoders: &str) -> Result<(PathBuf, f64), Error> {
    let db = built.with_file_name(format!(
        "{}-{encoders}.duckdb",
        built.file_stem().and_then(|s| s.to_str()).unwrap_or("demo")
    ));
    std::fs::copy(built, &db)?;
    let started = Instant::now();
    classlens(&db, &["analyze", "--json", "--encoders", encoders])?;
    Ok((db, started.elapsed().as_secs_f64()))
}

fn main() -> Result<(), Error> {
    let students = flag("--students").unwrap_or_else(|| "600".into());
    let share = flag("--share").unwrap_or_else(|| "0.3".into());
    let dir = tempfile::tempdir()?;
    let mixed = dir.path().join("mixed.duckdb");
    let english = dir.path().join("english.duckdb");
    let demo = ["demo", "--no-tui", "--students", students.as_str()];
    classlens(
        &mixed,
        &[
            &demo[..],
            &["--languages", "en,zh", "--chinese-share", &share],
        ]
        .concat(),
    )?;
    classlens(&english, &demo)?;
    let encoders = Encoders::load()?;
    println!(
        "{students} students, {share} of them writing in Chinese; release build, CPU, one run each\n"
    );
    println!(
        "| encoders | analyze, en+zh school | analyze, English-only school | sentiment en / zh | topic en / zh | recall@10 zh→en / en→zh |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for route in ["split", "e5"] {
        let (db, seconds) = analysed(&mixed, route)?;
        let (_, english_seconds) = analysed(&english, route)?;
        let (sentiment_en, topic_en) = accuracy(&db, "en")?;
        let (sentiment_zh, topic_zh) = accuracy(&db, "zh")?;
        let (zh_en, queries) = recall(&db, "zh", "en", &encoders)?;
        let (en_zh, _) = recall(&db, "en", "zh", &encoders)?;
        println!(
            "| {route} | {seconds:.1} s | {english_seconds:.1} s | {sentiment_en:.3} / {sentiment_zh:.3} | \
             {topic_en:.3} / {topic_zh:.3} | {zh_en:.3} / {en_zh:.3} ({queries} meanings) |"
        );
    }
    Ok(())
}

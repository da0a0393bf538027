use std::io::Read;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::analyze::{load_encoder, load_multilingual, route_for, route_heads};
use crate::cli::{DbArgs, SentimentArgs};
use crate::store::Store;
use crate::text::insights::TopicReader;
use crate::text::sentiment::Sentiment;
use crate::text::{language, model, normalise, phrases};

#[derive(Debug, Serialize)]
struct Scored<'a> {
    /// 1-based line of the input (CSV: the record's line).
    line: u64,
    text: &'a str,
    language: &'static str,
    /// "scored", "unsupported language" or "empty".
    status: &'static str,
    #[serde(flatten)]
    sentiment: Option<Sentiment>,
    /// Skills whose prototypes pass the topic threshold, closest first.
    topics: Vec<Topic>,
    /// The phrases closest to the text's meaning (English texts).
    key_phrases: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Topic {
    skill_id: String,
    score: f32,
}

/// What one encoder made of a line: its vector (None: nothing to read) and
/// its key-phrase candidates' vectors.
#[derive(Default)]
struct Reading {
    vector: Option<Vec<f32>>,
    candidates: Vec<(String, Vec<f32>)>,
}

pub fn run(db: &DbArgs, args: &SentimentArgs) -> Result<()> {
    let (route, mut checked) = route_for(&args.encoder, args.encoders)?;
    // A head for another encoder's vectors is refused before any work is done.
    let heads = route_heads(&route, args.head.as_deref())?;
    let lines = read_texts(args)?;
    let languages: Vec<language::Language> =
        lines.iter().map(|(_, t)| language::detect(t)).collect();
    let mut readings: Vec<Reading> = lines.iter().map(|_| Reading::default()).collect();
    let mut topic_sets = std::collections::HashMap::new();
    for model in route.models() {
        topic_sets.insert(model, topics_from_db(db, model)?);
        let mine: Vec<usize> = (0..lines.len())
            .filter(|&i| route.model_for(&languages[i]) == model)
            .filter(|&i| !normalise(&lines[i].1).is_empty())
            .collect();
        if mine.is_empty() {
            continue;
        }
        let encoder = if model::is_multilingual(model) {
            load_multilingual(args.encoder.device)?
        } else {
            load_encoder(&args.encoder, checked.take())?
        };
        let texts: Vec<String> = mine.iter().map(|&i| normalise(&lines[i].1)).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        // Only [CLS] and [SEP]: nothing the encoder could read.
        for (&i, (vector, tokens)) in mine.iter().zip(encoder.encode_counted(&refs, 32)?) {
            readings[i].vector = (tokens > 2).then_some(vector);
        }
        // Every English line's key-phrase candidates, encoded in one go.
        let candidates: Vec<(usize, String)> = mine
            .iter()
            .filter(|&&i| languages[i].is_english())
            .flat_map(|&i| {
                phrases::candidates(&lines[i].1)
                    .into_iter()
                    .map(move |p| (i, p))
            })
            .collect();
        let flat: Vec<String> = candidates.iter().map(|(_, p)| normalise(p)).collect();
        let flat_refs: Vec<&str> = flat.iter().map(String::as_str).collect();
        for ((i, phrase), vector) in candidates.into_iter().zip(encoder.encode(&flat_refs, 64)?) {
            readings[i].candidates.push((phrase, vector));
        }
    }
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    if !args.json {
        writeln!(
            out,
            "line  sentiment  prob  topics                          text"
        )?;
    }
    let no_topics = topic_sets.values().all(Option::is_none);
    for (((line, text), lang), reading) in lines.iter().zip(&languages).zip(&readings) {
        let model = route.model_for(lang);
        let vector = &reading.vector;
        let head = heads.get(model).filter(|h| h.info.covers(lang.code));
        let (status, sentiment) = match (vector, head) {
            (None, _) => ("empty", None),
            (Some(v), Some(head)) => ("scored", Some(head.score(v))),
            (Some(_), None) => ("unsupported language", None),
        };
        let reader = topic_sets.get(model).and_then(Option::as_ref);
        let topics: Vec<Topic> = match vector.as_ref().zip(reader) {
            Some((v, r)) => r
                .rank(v, lang.code, true)
                .into_iter()
                .take_while(|(_, score)| *score >= r.topics.threshold)
                .take(3)
                .map(|(i, score)| Topic {
                    skill_id: r.topics.skill_ids[i].clone(),
                    score: (score * 1000.0).round() / 1000.0,
                })
                .collect(),
            None => Vec::new(),
        };
        let key_phrases = match vector {
            Some(v) => phrases::key_phrases(
                v,
                reading
                    .candidates
                    .iter()
                    .map(|(p, v)| (p.as_str(), v.as_slice())),
            )
            .into_iter()
            .map(str::to_string)
            .collect(),
            None => Vec::new(),
        };
        let scored = Scored {
            line: *line,
            text,
            language: lang.code,
            status,
            sentiment,
            topics,
            key_phrases,
        };
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&scored)?)?;
        } else {
            let (label, probability) = match &scored.sentiment {
                Some(s) => (s.label, format!("{:.2}", s.probability)),
                None => (status, String::new()),
            };
            let topics = scored
                .topics
                .iter()
                .map(|t| format!("{} {:.2}", t.skill_id, t.score))
                .collect::<Vec<_>>()
                .join(", ");
            let shown: String = text.chars().take(60).collect();
            writeln!(
                out,
                "{line:>4}  {label:<9}  {probability:>4}  {topics:<30}  {shown}"
            )?;
        }
    }
    if no_topics && !args.json {
        eprintln!(
            "classlens: no topics: the database has no analysed skills (run `classlens analyze` on a school first)"
        );
    }
    Ok(())
}

/// (line, text) pairs; blank lines are kept (reported as empty) so line numbers match.
fn read_texts(args: &SentimentArgs) -> Result<Vec<(u64, String)>> {
    let name = match &args.file {
        Some(p) if p.as_os_str() != "-" => p.display().to_string(),
        _ => "standard input".to_string(),
    };
    let mut content = String::new();
    match &args.file {
        Some(p) if p.as_os_str() != "-" => {
            content = std::fs::read_to_string(p).with_context(|| format!("cannot read {name}"))?;
        }
        _ => {
            std::io::stdin()
                .read_to_string(&mut content)
                .with_context(|| format!("cannot read {name} (is it UTF-8?)"))?;
        }
    }
    let Some(column) = &args.column else {
        return Ok(content
            .lines()
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, l.to_string()))
            .collect());
    };
    let mut reader = csv::Reader::from_reader(content.as_bytes());
    let headers = reader
        .headers()
        .with_context(|| format!("{name}:1: unreadable CSV header"))?
        .clone();
    let Some(at) = headers.iter().position(|h| h.trim() == column) else {
        bail!(
            "{name}:1: no column \"{column}\" (the columns are: {})",
            headers.iter().collect::<Vec<_>>().join(", ")
        );
    };
    let mut texts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            anyhow::anyhow!("{name}:{line}: {e}")
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        texts.push((line, record.get(at).unwrap_or_default().to_string()));
    }
    Ok(texts)
}

/// The school's skills as topics, if there is a database with analysed skills.
fn topics_from_db(db: &DbArgs, model: &str) -> Result<Option<TopicReader>> {
    let path = super::db_path(db);
    if !path.exists() {
        return Ok(None);
    }
    let store = Store::open_read_only(&path, false)?;
    let reader = TopicReader::stored(&store, model)?;
    Ok((!reader.topics.is_empty()).then_some(reader))
}

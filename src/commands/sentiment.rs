use std::io::Read;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use super::analyze::{encoder_key, load_encoder, load_head};
use crate::cli::{DbArgs, SentimentArgs};
use crate::store::Store;
use crate::text::sentiment::Sentiment;
use crate::text::topics::{THRESHOLD, TopicSet};
use crate::text::{insights, language, normalise, phrases};

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

pub fn run(db: &DbArgs, args: &SentimentArgs) -> Result<()> {
    let (head, head_name) = load_head(args.head.as_deref())?;
    let (checked, model_key) = encoder_key(&args.encoder)?;
    head.check_encoder(&model_key, &head_name)?;
    let lines = read_texts(args)?;
    let topics = topics_from_db(db, &model_key)?;
    let encoder = load_encoder(&args.encoder, checked)?;
    let normalised: Vec<String> = lines.iter().map(|(_, t)| normalise(t)).collect();
    let to_encode: Vec<&str> = normalised
        .iter()
        .filter(|t| !t.is_empty())
        .map(String::as_str)
        .collect();
    let vectors = encoder.encode_counted(&to_encode, 32)?;
    let mut vectors = vectors.into_iter();
    // Every English line's key-phrase candidates, encoded in one go.
    let candidates: Vec<Vec<String>> = lines
        .iter()
        .map(|(_, t)| {
            if language::detect(t).is_english() {
                phrases::candidates(t)
            } else {
                Vec::new()
            }
        })
        .collect();
    let flat: Vec<String> = candidates.iter().flatten().map(|p| normalise(p)).collect();
    let flat_refs: Vec<&str> = flat.iter().map(String::as_str).collect();
    let phrase_vectors = encoder.encode(&flat_refs, 64)?;
    let mut phrase_vectors = phrase_vectors.into_iter();
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    if !args.json {
        writeln!(
            out,
            "line  sentiment  prob  topics                          text"
        )?;
    }
    for (((line, text), norm), candidates) in lines.iter().zip(&normalised).zip(&candidates) {
        let candidate_vectors: Vec<Vec<f32>> =
            phrase_vectors.by_ref().take(candidates.len()).collect();
        let lang = language::detect(text);
        let encoded = if norm.is_empty() {
            None
        } else {
            vectors.next()
        };
        // Only [CLS] and [SEP]: nothing the encoder could read.
        let vector = encoded.filter(|(_, tokens)| *tokens > 2).map(|(v, _)| v);
        let (status, sentiment) = match &vector {
            None => ("empty", None),
            Some(v) if lang.code == head.info.language => ("scored", Some(head.score(v))),
            Some(_) => ("unsupported language", None),
        };
        let topics: Vec<Topic> = match (&vector, &topics) {
            (Some(v), Some(t)) => t
                .rank(v)
                .into_iter()
                .take_while(|(_, score)| *score >= THRESHOLD)
                .take(3)
                .map(|(i, score)| Topic {
                    skill_id: t.skill_ids[i].clone(),
                    score: (score * 1000.0).round() / 1000.0,
                })
                .collect(),
            _ => Vec::new(),
        };
        let key_phrases = match &vector {
            Some(v) => phrases::key_phrases(
                v,
                candidates
                    .iter()
                    .map(String::as_str)
                    .zip(candidate_vectors.iter().map(Vec::as_slice)),
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
    if topics.is_none() && !args.json {
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
fn topics_from_db(db: &DbArgs, model: &str) -> Result<Option<TopicSet>> {
    let path = super::db_path(db);
    if !path.exists() {
        return Ok(None);
    }
    let store = Store::open_read_only(&path, false)?;
    let topics = insights::stored_topics(&store, model)?;
    Ok((!topics.is_empty()).then_some(topics))
}

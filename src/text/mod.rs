//! Text understanding: the BERT encoder's model files, encoding, and the
//! embedding cache that keeps any text from being encoded twice. The only
//! module that touches candle.

pub mod bert;
mod bf16;
pub mod e5;
pub mod encoder;
pub mod index;
pub mod insights;
pub mod language;
pub mod model;
pub mod phrases;
pub mod routing;
pub mod search;
pub mod sentiment;
pub mod topics;
pub mod train;

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::embeddings::Embedding;
use crate::store::{Store, StoreError};
use encoder::{Encoder, EncoderError};

/// Runs `work` over `units` on candle's threads (the pool its own ops use), each
/// unit taken by one thread, with one `scratch` per thread. The locks are never
/// contended; they let threads hold disjoint `&mut` parts of one output.
/// False if any call returned false.
pub(crate) fn on_candle_threads<T: Send, S>(
    units: Vec<T>,
    scratch: impl Fn() -> S + Sync,
    work: impl Fn(&mut T, &mut S) -> bool + Sync,
) -> bool {
    let units: Vec<std::sync::Mutex<T>> = units.into_iter().map(std::sync::Mutex::new).collect();
    let failed = std::sync::atomic::AtomicBool::new(false);
    candle_core::utils::barrier_pool().execute_chunked(units.len(), |range| {
        let mut own = scratch();
        for unit in &units[range] {
            if !unit.lock().is_ok_and(|mut unit| work(&mut unit, &mut own)) {
                failed.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    !failed.into_inner()
}

/// Texts encoded and stored per transaction: an interrupted analysis keeps
/// what it finished.
const CHUNK: usize = 512;

/// The text as the encoder sees it: control characters dropped and runs of
/// whitespace made one space (BERT's tokenizer does both anyway, so the vector
/// is the same), cut at the encoder's character limit. Empty means "nothing to encode".
pub fn normalise(text: &str) -> String {
    let kept: String = encoder::clip(text)
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The cache key of a normalised text: the first 128 bits of its sha256, in hex.
pub fn text_hash(normalised: &str) -> String {
    Sha256::digest(normalised.as_bytes())[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct EncodeReport {
    /// Distinct texts found in the tables, and the key-phrase candidates of the
    /// English comments not analysed yet.
    pub texts: usize,
    /// Of those, empty once normalised (whitespace, control characters only) or
    /// once tokenised (format characters only): counted, never stored.
    pub skipped_empty: usize,
    /// Normalised texts that were already in the cache.
    pub cached: usize,
    /// Encoded now.
    pub encoded: usize,
    pub tokens: usize,
    pub seconds: f64,
}

impl EncodeReport {
    /// Adds another encoder's report (its texts are other texts, its seconds later ones).
    pub fn add(&mut self, other: &EncodeReport) {
        self.texts += other.texts;
        self.skipped_empty += other.skipped_empty;
        self.cached += other.cached;
        self.encoded += other.encoded;
        self.tokens += other.tokens;
        self.seconds += other.seconds;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Encoder(#[from] EncoderError),
}

/// What an analysis has to encode: the texts not yet in the cache for one model.
pub struct Plan {
    pub report: EncodeReport,
    /// (hash, normalised text), each text once.
    todo: Vec<(String, String)>,
    started: Instant,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.todo.is_empty()
    }

    /// The report of a plan with nothing to encode.
    pub fn finish(mut self) -> EncodeReport {
        self.report.seconds = self.started.elapsed().as_secs_f64();
        self.report
    }
}

/// Reads every text of the database and keeps those `model` reads under
/// `route` and has no vector for: no model needed, so an analysis with nothing
/// new never loads one. The English encoder reads the catalogue and the
/// English texts; another encoder reads the other languages, and the
/// catalogue too (for topics in its space) when there is any such text.
pub fn plan_new_texts(
    store: &Store,
    route: &routing::Route,
    model: &str,
) -> Result<Plan, AnalyzeError> {
    let started = Instant::now();
    let cached = store.embedded_hashes(model)?;
    // Under split encoders a text another encoder already read is that one's,
    // and one this encoder read is this one's: only the rest are detected, as
    // detecting every text of a district would cost each analysis seconds.
    let mut others: Vec<HashSet<String>> = Vec::new();
    for other in route.models().into_iter().filter(|m| *m != model) {
        others.push(store.embedded_hashes(other)?);
    }
    let mut report = EncodeReport::default();
    // hash -> normalised text, each once.
    let mut todo: BTreeMap<String, String> = BTreeMap::new();
    let mut catalogue: Vec<String> = Vec::new();
    let mut mine = false;
    // Each text once, whether a comment, a catalogue text or a key phrase.
    let mut seen: HashSet<String> = HashSet::new();
    let mut consider = |text: &str, report: &mut EncodeReport| -> Option<(String, String)> {
        if !seen.insert(text.to_string()) {
            return None;
        }
        report.texts += 1;
        let normalised = normalise(text);
        if normalised.is_empty() {
            report.skipped_empty += 1;
            return None;
        }
        let hash = text_hash(&normalised);
        if cached.contains(&hash) {
            report.cached += 1;
            return None;
        }
        Some((hash, normalised))
    };
    for (text, is_catalogue) in store.analysis_texts()? {
        if is_catalogue {
            catalogue.push(text);
            continue;
        }
        let hash = text_hash(&normalise(&text));
        let ours = !route.is_split()
            || cached.contains(&hash)
            || (!others.iter().any(|o| o.contains(&hash))
                && route.model_for(&language::detect(&text)) == model);
        if !ours {
            continue;
        }
        mine = true;
        if let Some((hash, normalised)) = consider(&text, &mut report) {
            todo.insert(hash, normalised);
        }
    }
    if model == route.english || mine {
        for text in &catalogue {
            if let Some((hash, normalised)) = consider(text, &mut report) {
                todo.insert(hash, normalised);
            }
        }
    }
    // The key-phrase candidates of the English comments not analysed yet (all
    // of them for another route) are texts to encode too.
    if model == route.english {
        let other_route = store
            .insight_source()?
            .is_none_or(|source| routing::Route::from_source(&source) != *route);
        let mut candidates: Vec<String> = Vec::new();
        for comment in store.comments_to_analyse(other_route)? {
            if language::detect(&comment.text).is_english() {
                candidates.extend(phrases::candidates(&comment.text));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        for text in &candidates {
            if let Some((hash, normalised)) = consider(text, &mut report) {
                todo.insert(hash, normalised);
            }
        }
    }
    // Similar lengths side by side, so the encoder's batches carry little padding
    // (in hash order, one long description in a chunk padded a whole batch).
    let mut todo: Vec<(String, String)> = todo.into_iter().collect();
    todo.sort_by_key(|(_, text)| text.len());
    Ok(Plan {
        report,
        todo,
        started,
    })
}

/// Encodes what `plan` found, [`CHUNK`] texts per transaction.
pub fn encode_plan(
    store: &mut Store,
    encoder: &Encoder,
    model: &str,
    plan: Plan,
    batch_size: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<EncodeReport, AnalyzeError> {
    let Plan {
        mut report,
        todo,
        started,
    } = plan;
    if !todo.is_empty() {
        progress(0, todo.len());
    }
    let mut done = 0;
    for chunk in todo.chunks(CHUNK) {
        let refs: Vec<&str> = chunk.iter().map(|(_, t)| t.as_str()).collect();
        let vectors = encoder.encode_counted(&refs, batch_size)?;
        let mut rows = Vec::with_capacity(chunk.len());
        for ((hash, _), (vector, tokens)) in chunk.iter().zip(vectors) {
            // Only [CLS] and [SEP]: the tokenizer dropped every character (zero-width
            // or other format characters), so there is nothing to understand.
            if tokens <= 2 {
                report.skipped_empty += 1;
                continue;
            }
            report.tokens += tokens;
            rows.push(Embedding {
                text_hash: hash.clone(),
                tokens: u16::try_from(tokens).unwrap_or(u16::MAX),
                vector,
            });
        }
        store.save_embeddings(model, &rows)?;
        report.encoded += rows.len();
        done += chunk.len();
        progress(done, todo.len());
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_drops_controls_and_folds_whitespace() {
        assert_eq!(normalise("  a\tb\n\nc \u{7}d "), "a b c d");
        assert_eq!(normalise(" \t\n "), "");
        assert_eq!(normalise("\u{0}\u{1b}"), "");
        assert_eq!(text_hash("a b").len(), 32);
        assert_ne!(text_hash("a b"), text_hash("a  b "));
        assert_eq!(text_hash(&normalise("a  b ")), text_hash("a b"));
    }
}

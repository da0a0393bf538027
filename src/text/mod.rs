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

use std::collections::{BTreeMap, HashMap, HashSet};
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
    /// Catalogue texts a second encoder of the route reads too (for topics in
    /// its space): counted once in `texts`, once per encoder in `cached` and
    /// `encoded`.
    pub read_twice: usize,
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
        self.read_twice += other.read_twice;
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
    pub model: String,
    pub report: EncodeReport,
    /// (hash, normalised text), each text once.
    todo: Vec<(String, String)>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.todo.is_empty()
    }

    /// The report of a plan with nothing to encode.
    pub fn finish(self) -> EncodeReport {
        self.report
    }
}

/// One model's share of the texts while planning.
struct Share<'a> {
    model: &'a str,
    cached: HashSet<String>,
    report: EncodeReport,
    /// hash -> normalised text, each once.
    todo: BTreeMap<String, String>,
    /// Each text once, whether a comment, a catalogue text or a key phrase.
    seen: HashSet<String>,
    /// Whether it reads any comment or search (then the catalogue too).
    reads_any: bool,
}

impl Share<'_> {
    /// Counts `text` and keeps it to encode unless empty or cached.
    /// `first_reading`: false for the catalogue read by a second encoder, which
    /// the English encoder's share counts already.
    fn consider(&mut self, text: &str, first_reading: bool) {
        if !self.seen.insert(text.to_string()) {
            return;
        }
        if first_reading {
            self.report.texts += 1;
        } else {
            self.report.read_twice += 1;
        }
        let normalised = normalise(text);
        if normalised.is_empty() {
            if first_reading {
                self.report.skipped_empty += 1;
            }
            return;
        }
        let hash = text_hash(&normalised);
        if self.cached.contains(&hash) {
            self.report.cached += 1;
            return;
        }
        self.todo.insert(hash, normalised);
    }
}

/// Reads every text of the database once and plans, for each model of
/// `route` (the English one first), the texts it reads and has no vector for:
/// no model needed, so an analysis with nothing new never loads one. The
/// English encoder reads the catalogue and the English texts; another encoder
/// reads the other languages, and the catalogue too (for topics in its space)
/// when there is any such text.
pub fn plan_new_texts(store: &Store, route: &routing::Route) -> Result<Vec<Plan>, AnalyzeError> {
    let started = Instant::now();
    let mut shares: Vec<Share<'_>> = Vec::new();
    for model in route.models() {
        shares.push(Share {
            model,
            cached: store.embedded_hashes(model)?,
            report: EncodeReport::default(),
            todo: BTreeMap::new(),
            seen: HashSet::new(),
            reads_any: false,
        });
    }
    // Under the split route of the last analysis, a text an encoder already
    // read is that one's: only the rest are detected, as detecting every text
    // of a district would cost each analysis seconds. After another route (e5
    // read the English texts too) the caches say nothing of who reads what
    // now, so all are detected.
    let same_route = store
        .insight_source()?
        .is_some_and(|source| routing::Route::from_source(&source) == *route);
    let texts = store.analysis_texts()?;
    let mut catalogue: Vec<&str> = Vec::new();
    // Languages detected here, read again for the key phrases below.
    let mut detected: HashMap<&str, language::Language> = HashMap::new();
    for (text, is_catalogue) in &texts {
        if *is_catalogue {
            catalogue.push(text);
            continue;
        }
        let reader = if shares.len() == 1 {
            0
        } else {
            let hash = text_hash(&normalise(text));
            let known = if same_route {
                shares.iter().position(|s| s.cached.contains(&hash))
            } else {
                None
            };
            match known {
                Some(reader) => reader,
                None => {
                    let language = language::detect(text);
                    detected.insert(text, language);
                    let model = route.model_for(&language);
                    shares.iter().position(|s| s.model == model).unwrap_or(0)
                }
            }
        };
        shares[reader].reads_any = true;
        shares[reader].consider(text, true);
    }
    for (i, share) in shares.iter_mut().enumerate() {
        if i == 0 || share.reads_any {
            for text in &catalogue {
                share.consider(text, i == 0);
            }
        }
    }
    // The key-phrase candidates of the English comments not analysed yet (all
    // of them after another route) are texts to encode too.
    let mut candidates: Vec<String> = Vec::new();
    for comment in store.comments_to_analyse(!same_route)? {
        let language = detected
            .get(comment.text.as_str())
            .copied()
            .unwrap_or_else(|| language::detect(&comment.text));
        if language.is_english() {
            candidates.extend(phrases::candidates(&comment.text));
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    if let Some(english) = shares.first_mut() {
        for text in &candidates {
            english.consider(text, true);
        }
    }
    // The planning's time, once.
    if let Some(first) = shares.first_mut() {
        first.report.seconds = started.elapsed().as_secs_f64();
    }
    Ok(shares
        .into_iter()
        .map(|share| {
            // Similar lengths side by side, so the encoder's batches carry little
            // padding (in hash order, one long description in a chunk padded a
            // whole batch).
            let mut todo: Vec<(String, String)> = share.todo.into_iter().collect();
            todo.sort_by_key(|(_, text)| text.len());
            Plan {
                model: share.model.to_string(),
                report: share.report,
                todo,
            }
        })
        .collect())
}

/// Encodes what `plan` found, [`CHUNK`] texts per transaction.
pub fn encode_plan(
    store: &mut Store,
    encoder: &Encoder,
    plan: Plan,
    batch_size: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<EncodeReport, AnalyzeError> {
    let started = Instant::now();
    let Plan {
        model,
        mut report,
        todo,
    } = plan;
    let model = model.as_str();
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
    report.seconds += started.elapsed().as_secs_f64();
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

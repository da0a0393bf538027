//! Training the sentiment head: multinomial logistic regression on frozen
//! encoder vectors, with candle-nn's AdamW, full batch, from zero weights (the
//! loss is convex, so the start is no choice and the result is reproducible;
//! the seed only deals the cross-validation folds). Cross-validation picks the
//! L2 strength, then fits the temperature on the held-out logits and the polar
//! threshold on held-out sentences of the sources that label neutral too.

use candle_core::{D, DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::sentiment::{
    self, FORMAT, HeadInfo, LABELS, NEGATIVE, NEUTRAL, POSITIVE, SentimentHead,
};

/// The labelled sentences that ship with classlens (see fixtures/sentiment/README.md).
pub const SHIPPED_DATA: [(&str, &str); 3] = [
    (
        "sentiment_amazon.csv",
        include_str!("../../fixtures/sentiment/sentiment_amazon.csv"),
    ),
    (
        "sentiment_imdb.csv",
        include_str!("../../fixtures/sentiment/sentiment_imdb.csv"),
    ),
    (
        "classroom.csv",
        include_str!("../../fixtures/sentiment/classroom.csv"),
    ),
];

/// Chinese sentences, added for a head over the multilingual encoder: product
/// and book reviews, and the classroom comments in Chinese (the only Chinese
/// neutral labels).
pub const SHIPPED_DATA_CHINESE: [(&str, &str); 2] = [
    (
        "sentiment_zh.csv",
        include_str!("../../fixtures/sentiment/sentiment_zh.csv"),
    ),
    (
        "classroom_zh.csv",
        include_str!("../../fixtures/sentiment/classroom_zh.csv"),
    ),
];

pub const DEFAULT_SEED: u64 = 20261129;
const FOLDS: usize = 5;
const STEPS: usize = 400;
const LEARNING_RATE: f64 = 0.05;
const L2_GRID: [f64; 2] = [1e-4, 3e-4];
/// How much more a sentence of a three-label source (the classroom's own
/// language) weighs than one of a two-label source (product and film reviews).
const DOMAIN_WEIGHTS: [f64; 3] = [2.0, 4.0, 8.0];

#[derive(Debug, Clone)]
pub struct Example {
    pub text: String,
    pub label: usize,
    /// Index into the data set's sources.
    pub source: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub name: String,
    pub rows: usize,
    /// Rows per label: negative, neutral, positive.
    pub labels: [usize; 3],
    pub sha256: String,
    /// The language most of its sentences are in (ISO 639-1).
    pub language: String,
}

impl Source {
    /// Whether the source labels neutral sentences (and so can judge the band).
    pub fn has_neutral(&self) -> bool {
        self.labels[NEUTRAL] > 0
    }
}

#[derive(Debug, Default)]
pub struct DataSet {
    pub sources: Vec<Source>,
    pub examples: Vec<Example>,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{file}:{line}: {reason}")]
    Data {
        file: String,
        line: u64,
        reason: String,
    },
    #[error("cannot train: {0}")]
    Training(String),
    #[error(transparent)]
    Head(#[from] sentiment::HeadError),
}

impl From<candle_core::Error> for TrainError {
    fn from(e: candle_core::Error) -> Self {
        TrainError::Training(e.to_string())
    }
}

impl DataSet {
    /// Adds a CSV with columns `text,label`; label `0`/`1` or a label name.
    pub fn add_csv(&mut self, name: &str, content: &str) -> Result<(), TrainError> {
        let data_error = |line: u64, reason: String| TrainError::Data {
            file: name.to_string(),
            line,
            reason,
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(content.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| data_error(1, format!("unreadable header ({e})")))?
            .clone();
        let column = |name: &str| headers.iter().position(|h| h.trim() == name);
        let (Some(text_at), Some(label_at)) = (column("text"), column("label")) else {
            return Err(data_error(
                1,
                "needs the columns text and label".to_string(),
            ));
        };
        let source = self.sources.len();
        let mut counts = [0usize; 3];
        let mut added = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, csv::Position::line);
                data_error(line, e.to_string())
            })?;
            let line = record.position().map_or(0, csv::Position::line);
            let text = record.get(text_at).unwrap_or_default();
            let raw = record.get(label_at).unwrap_or_default().trim();
            let label = match raw {
                "0" => NEGATIVE,
                "1" => POSITIVE,
                other => sentiment::label_index(other).ok_or_else(|| {
                    data_error(
                        line,
                        format!(
                            "field label: \"{other}\" is not 0, 1, negative, neutral or positive"
                        ),
                    )
                })?,
            };
            if super::normalise(text).is_empty() {
                return Err(data_error(line, "field text: empty".to_string()));
            }
            counts[label] += 1;
            added.push(Example {
                text: text.to_string(),
                label,
                source,
            });
        }
        if added.is_empty() {
            return Err(data_error(1, "no rows".to_string()));
        }
        let language = majority_language(added.iter().map(|e| e.text.as_str()));
        self.sources.push(Source {
            name: name.to_string(),
            rows: added.len(),
            labels: counts,
            language,
            sha256: Sha256::digest(content.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        });
        self.examples.extend(added);
        Ok(())
    }

    pub fn shipped() -> Result<DataSet, TrainError> {
        let mut data = DataSet::default();
        for (name, content) in SHIPPED_DATA {
            data.add_csv(name, content)?;
        }
        Ok(data)
    }

    /// The English sentences and the Chinese ones: what the multilingual head learns from.
    pub fn shipped_multilingual() -> Result<DataSet, TrainError> {
        let mut data = DataSet::shipped()?;
        for (name, content) in SHIPPED_DATA_CHINESE {
            data.add_csv(name, content)?;
        }
        Ok(data)
    }

    /// The languages the data teaches, sorted, comma-separated: the languages a
    /// head trained on it scores.
    pub fn languages(&self) -> String {
        let mut languages: Vec<&str> = self.sources.iter().map(|s| s.language.as_str()).collect();
        languages.sort_unstable();
        languages.dedup();
        languages.join(",")
    }
}

/// The language most of the first 500 sentences are detected in.
fn majority_language<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    let mut counts: std::collections::BTreeMap<&'static str, usize> = Default::default();
    for text in texts.take(500) {
        *counts
            .entry(super::language::detect(text).code)
            .or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map_or(super::language::UNDETERMINED, |(code, _)| code)
        .to_string()
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceScore {
    pub name: String,
    pub rows: usize,
    /// Positive against negative (the likelier of the two), over the polar rows:
    /// how the two-label data sets are scored.
    pub polar_accuracy: f64,
    /// All three labels with the band, for sources that label neutral.
    pub accuracy: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CalibrationBin {
    pub from: f64,
    pub to: f64,
    pub count: usize,
    pub confidence: f64,
    pub accuracy: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tried {
    pub l2: f64,
    pub domain_weight: f64,
    /// Positive against negative, two-label sources.
    pub polar_accuracy: f64,
    /// Argmax of three labels, three-label sources (None without such sources).
    pub three_label_accuracy: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    pub encoder: String,
    pub seed: u64,
    pub folds: usize,
    pub sources: Vec<Source>,
    pub l2: f64,
    pub domain_weight: f64,
    /// Held-out accuracy of every setting tried.
    pub tried: Vec<Tried>,
    /// Out-of-fold scores of the chosen head, per source.
    pub cross_validated: Vec<SourceScore>,
    /// Over the two-label sources together (the peer VADER is scored on these).
    pub polar_accuracy: f64,
    pub temperature: f64,
    /// Expected calibration error of the top label's probability, 10 bins.
    pub ece_before: f64,
    pub ece_after: f64,
    pub reliability: Vec<CalibrationBin>,
    pub polar_threshold: f64,
    pub seconds: f64,
}

/// Trains on `vectors[i]` (the encoder's vector of `data.examples[i]`).
pub fn train(
    data: &DataSet,
    vectors: &[Vec<f32>],
    encoder: &str,
    seed: u64,
) -> Result<(SentimentHead, TrainReport), TrainError> {
    let started = std::time::Instant::now();
    let n = data.examples.len();
    let dim = vectors.first().map_or(0, Vec::len);
    if n != vectors.len() || dim == 0 || vectors.iter().any(|v| v.len() != dim) {
        return Err(TrainError::Training(
            "one vector of one dimension per example is needed".into(),
        ));
    }
    for label in [NEGATIVE, POSITIVE] {
        if !data.examples.iter().any(|e| e.label == label) {
            return Err(TrainError::Training(format!(
                "no {} sentence in the data",
                LABELS[label]
            )));
        }
    }
    let folds = deal_folds(data, seed);
    let labels: Vec<usize> = data.examples.iter().map(|e| e.label).collect();
    let in_domain: Vec<bool> = data
        .examples
        .iter()
        .map(|e| data.sources[e.source].has_neutral())
        .collect();
    let has_domain = in_domain.iter().any(|&d| d);
    let mut tried = Vec::new();
    // (objective, l2, domain weight, out-of-fold logits)
    let mut best: Option<(f64, f64, f64, Vec<[f32; 3]>)> = None;
    let domain_weights: &[f64] = if has_domain { &DOMAIN_WEIGHTS } else { &[1.0] };
    for &domain_weight in domain_weights {
        let weights = sample_weights(&labels, &in_domain, domain_weight);
        for l2 in L2_GRID {
            let held_out = cross_validate(data, vectors, &weights, &folds, l2)?;
            let polar = polar_accuracy(data, &held_out, |e| !data.sources[e.source].has_neutral());
            let three = has_domain.then(|| argmax_accuracy(&held_out, &labels, &in_domain));
            // Both kinds of data count the same, whatever their sizes.
            let objective = match three {
                Some(three) if data.sources.iter().any(|s| !s.has_neutral()) => {
                    (polar + three) / 2.0
                }
                Some(three) => three,
                None => polar,
            };
            tried.push(Tried {
                l2,
                domain_weight,
                polar_accuracy: round4(polar),
                three_label_accuracy: three.map(round4),
            });
            if best.as_ref().is_none_or(|b| objective > b.0) {
                best = Some((objective, l2, domain_weight, held_out));
            }
        }
    }
    let Some((_, l2, domain_weight, held_out)) = best else {
        return Err(TrainError::Training("no setting to try".into()));
    };
    let ece_before = expected_calibration_error(&held_out, &labels, 1.0).0;
    let temperature = fit_temperature(&held_out, &labels);
    let (ece_after, reliability) = expected_calibration_error(&held_out, &labels, temperature);
    let probabilities: Vec<[f32; 3]> = held_out
        .iter()
        .map(|l| sentiment::softmax(*l, temperature as f32))
        .collect();
    let polar_threshold = choose_polar_threshold(&probabilities, &labels, &in_domain);
    let cross_validated = data
        .sources
        .iter()
        .enumerate()
        .map(|(s, source)| {
            let rows: Vec<usize> = (0..n).filter(|&i| data.examples[i].source == s).collect();
            let accuracy = source.has_neutral().then(|| {
                let right = rows
                    .iter()
                    .filter(|&&i| {
                        sentiment::decide(probabilities[i], polar_threshold as f32).label
                            == LABELS[labels[i]]
                    })
                    .count();
                round4(right as f64 / rows.len().max(1) as f64)
            });
            SourceScore {
                name: source.name.clone(),
                rows: rows.len(),
                polar_accuracy: round4(polar_accuracy(data, &held_out, |e| e.source == s)),
                accuracy,
            }
        })
        .collect();
    let two_label = polar_accuracy(data, &held_out, |e| !data.sources[e.source].has_neutral());
    let (weight, bias) = fit(
        vectors,
        &labels,
        &sample_weights(&labels, &in_domain, domain_weight),
        l2,
    )?;
    let head = SentimentHead::new(
        HeadInfo {
            format: FORMAT,
            encoder: encoder.to_string(),
            dim,
            temperature: temperature as f32,
            polar_threshold: polar_threshold as f32,
            language: data.languages(),
            seed,
        },
        weight,
        bias,
    )?;
    let report = TrainReport {
        encoder: encoder.to_string(),
        seed,
        folds: FOLDS,
        sources: data.sources.clone(),
        l2,
        domain_weight,
        tried,
        cross_validated,
        polar_accuracy: round4(two_label),
        temperature: round4(temperature),
        ece_before: round4(ece_before),
        ece_after: round4(ece_after),
        reliability,
        polar_threshold: round4(polar_threshold),
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok((head, report))
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// Fold of each example: shuffled by the seed within each (source, label), then
/// dealt in turn, so every fold has the same mix.
fn deal_folds(data: &DataSet, seed: u64) -> Vec<usize> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut fold = vec![0; data.examples.len()];
    for source in 0..data.sources.len() {
        for label in 0..3 {
            let mut members: Vec<usize> = (0..data.examples.len())
                .filter(|&i| data.examples[i].source == source && data.examples[i].label == label)
                .collect();
            members.shuffle(&mut rng);
            for (k, i) in members.into_iter().enumerate() {
                fold[i] = k % FOLDS;
            }
        }
    }
    fold
}

/// Each label weighs the same in the loss, whatever its count; then sentences
/// of the three-label sources weigh `domain_weight` times more. Mean weight 1.
fn sample_weights(labels: &[usize], in_domain: &[bool], domain_weight: f64) -> Vec<f32> {
    let mut counts = [0usize; 3];
    for &l in labels {
        counts[l] += 1;
    }
    let raw: Vec<f64> = labels
        .iter()
        .zip(in_domain)
        .map(|(&l, &d)| (if d { domain_weight } else { 1.0 }) / counts[l] as f64)
        .collect();
    let mean = raw.iter().sum::<f64>() / raw.len().max(1) as f64;
    raw.iter().map(|w| (w / mean) as f32).collect()
}

/// Argmax accuracy over the rows `keep` marks.
fn argmax_accuracy(logits: &[[f32; 3]], labels: &[usize], keep: &[bool]) -> f64 {
    let (mut right, mut total) = (0usize, 0usize);
    for ((l, &y), &k) in logits.iter().zip(labels).zip(keep) {
        if !k {
            continue;
        }
        total += 1;
        let top = (0..3).fold(0, |best, i| if l[i] > l[best] { i } else { best });
        right += usize::from(top == y);
    }
    right as f64 / total.max(1) as f64
}

/// Out-of-fold logits of every example.
fn cross_validate(
    data: &DataSet,
    vectors: &[Vec<f32>],
    weights: &[f32],
    folds: &[usize],
    l2: f64,
) -> Result<Vec<[f32; 3]>, TrainError> {
    let mut held_out = vec![[0f32; 3]; data.examples.len()];
    for k in 0..FOLDS {
        let train_rows: Vec<usize> = (0..folds.len()).filter(|&i| folds[i] != k).collect();
        let x: Vec<Vec<f32>> = train_rows.iter().map(|&i| vectors[i].clone()).collect();
        let y: Vec<usize> = train_rows.iter().map(|&i| data.examples[i].label).collect();
        let w: Vec<f32> = train_rows.iter().map(|&i| weights[i]).collect();
        let (weight, bias) = fit(&x, &y, &w, l2)?;
        let dim = vectors[0].len();
        for i in (0..folds.len()).filter(|&i| folds[i] == k) {
            let mut logits = bias;
            for (label, logit) in logits.iter_mut().enumerate() {
                let row = &weight[label * dim..(label + 1) * dim];
                *logit += row.iter().zip(&vectors[i]).map(|(w, v)| w * v).sum::<f32>();
            }
            held_out[i] = logits;
        }
    }
    Ok(held_out)
}

/// Weighted softmax regression with an L2 penalty on the weights, full batch.
fn fit(
    vectors: &[Vec<f32>],
    labels: &[usize],
    weights: &[f32],
    l2: f64,
) -> Result<(Vec<f32>, [f32; 3]), TrainError> {
    let device = Device::Cpu;
    let n = vectors.len();
    let dim = vectors[0].len();
    let flat: Vec<f32> = vectors.iter().flatten().copied().collect();
    let x = Tensor::from_vec(flat, (n, dim), &device)?;
    let y = Tensor::from_vec(
        labels.iter().map(|&l| l as u32).collect::<Vec<_>>(),
        (n, 1),
        &device,
    )?;
    let sample = Tensor::from_vec(weights.to_vec(), n, &device)?;
    let total = f64::from(weights.iter().sum::<f32>());
    let w = Var::zeros((3, dim), DType::F32, &device)?;
    let b = Var::zeros(3, DType::F32, &device)?;
    let mut optimiser = AdamW::new(
        vec![w.clone(), b.clone()],
        ParamsAdamW {
            lr: LEARNING_RATE,
            weight_decay: 0.0,
            ..ParamsAdamW::default()
        },
    )?;
    for _ in 0..STEPS {
        let logits = x
            .matmul(&w.as_tensor().t()?)?
            .broadcast_add(b.as_tensor())?;
        let log_p = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
        let picked = log_p.gather(&y, 1)?.squeeze(1)?;
        let data_loss = ((picked * &sample)?.sum_all()? / -total)?;
        let penalty = (w.as_tensor().sqr()?.sum_all()? * l2)?;
        optimiser.backward_step(&(data_loss + penalty)?)?;
    }
    let weight = w.as_tensor().flatten_all()?.to_vec1::<f32>()?;
    let bias = b.as_tensor().to_vec1::<f32>()?;
    Ok((weight, [bias[0], bias[1], bias[2]]))
}

/// Positive against negative among the polar rows that `keep` selects.
fn polar_accuracy(data: &DataSet, logits: &[[f32; 3]], keep: impl Fn(&Example) -> bool) -> f64 {
    let (mut right, mut total) = (0usize, 0usize);
    for (e, l) in data.examples.iter().zip(logits) {
        if e.label == NEUTRAL || !keep(e) {
            continue;
        }
        total += 1;
        let said = if l[POSITIVE] >= l[NEGATIVE] {
            POSITIVE
        } else {
            NEGATIVE
        };
        right += usize::from(said == e.label);
    }
    right as f64 / total.max(1) as f64
}

fn negative_log_likelihood(logits: &[[f32; 3]], labels: &[usize], temperature: f64) -> f64 {
    logits
        .iter()
        .zip(labels)
        .map(|(l, &y)| -f64::from(sentiment::softmax(*l, temperature as f32)[y].max(1e-12)).ln())
        .sum()
}

/// The temperature minimising the held-out negative log-likelihood (golden
/// section over log T in [-3, 3]; the likelihood is unimodal in T).
fn fit_temperature(logits: &[[f32; 3]], labels: &[usize]) -> f64 {
    let golden = (5f64.sqrt() - 1.0) / 2.0;
    let (mut lo, mut hi) = (-3f64, 3f64);
    let nll = |log_t: f64| negative_log_likelihood(logits, labels, log_t.exp());
    for _ in 0..60 {
        let a = hi - golden * (hi - lo);
        let b = lo + golden * (hi - lo);
        if nll(a) < nll(b) {
            hi = b;
        } else {
            lo = a;
        }
    }
    ((lo + hi) / 2.0).exp()
}

/// ECE of the top label's probability over 10 equal-width bins, with the bins.
fn expected_calibration_error(
    logits: &[[f32; 3]],
    labels: &[usize],
    temperature: f64,
) -> (f64, Vec<CalibrationBin>) {
    let mut sums = [(0usize, 0f64, 0usize); 10];
    for (l, &y) in logits.iter().zip(labels) {
        let p = sentiment::softmax(*l, temperature as f32);
        let (top, confidence) =
            p.iter().enumerate().fold(
                (0, 0f32),
                |best, (i, &q)| if q > best.1 { (i, q) } else { best },
            );
        let bin = ((f64::from(confidence) * 10.0) as usize).min(9);
        sums[bin].0 += 1;
        sums[bin].1 += f64::from(confidence);
        sums[bin].2 += usize::from(top == y);
    }
    let n = labels.len().max(1) as f64;
    let mut ece = 0.0;
    let mut bins = Vec::new();
    for (k, &(count, confidence, right)) in sums.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let confidence = confidence / count as f64;
        let accuracy = right as f64 / count as f64;
        ece += count as f64 / n * (confidence - accuracy).abs();
        bins.push(CalibrationBin {
            from: k as f64 / 10.0,
            to: (k + 1) as f64 / 10.0,
            count,
            confidence: round4(confidence),
            accuracy: round4(accuracy),
        });
    }
    (ece, bins)
}

/// The threshold (in steps of 0.01) that labels the held-out sentences of the
/// three-label sources best; without such sources, no band (0.5).
fn choose_polar_threshold(probabilities: &[[f32; 3]], labels: &[usize], judged: &[bool]) -> f64 {
    let mut best = (0.5, -1.0);
    if !judged.iter().any(|&j| j) {
        return 0.5;
    }
    for step in 34..=95 {
        let threshold = f64::from(step) / 100.0;
        let right = probabilities
            .iter()
            .zip(labels)
            .zip(judged)
            .filter(|&((p, &y), &j)| {
                j && sentiment::decide(*p, threshold as f32).label == LABELS[y]
            })
            .count() as f64;
        if right > best.1 {
            best = (threshold, right);
        }
    }
    best.0
}

impl TrainReport {
    /// The report as Markdown, written beside the head.
    pub fn markdown(&self, command: &str) -> String {
        let mut md = String::new();
        md.push_str("# The sentiment head: training report\n\n");
        md.push_str(&format!(
            "Made by `{command}` (seed {}, {} folds, {:.1} s). Encoder: `{}`.\n\n",
            self.seed, self.folds, self.seconds, self.encoder
        ));
        md.push_str("## Data\n\n| file | language | rows | negative | neutral | positive | sha256 |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        for s in &self.sources {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | `{}` |\n",
                s.name,
                s.language,
                s.rows,
                s.labels[NEGATIVE],
                s.labels[NEUTRAL],
                s.labels[POSITIVE],
                s.sha256.get(..16).unwrap_or(&s.sha256)
            ));
        }
        md.push_str(&format!(
            "\n## Cross-validated accuracy\n\nOut-of-fold predictions of {} folds. Positive against \
             negative (the two-label data sets, as the peer VADER is scored): **{:.4}**.\n\n\
             | file | language | rows | positive vs negative | three labels, with the band |\n| --- | --- | --- | --- | --- |\n",
            self.folds, self.polar_accuracy
        ));
        for s in &self.cross_validated {
            let language = self
                .sources
                .iter()
                .find(|source| source.name == s.name)
                .map_or("", |source| source.language.as_str());
            md.push_str(&format!(
                "| {} | {language} | {} | {:.4} | {} |\n",
                s.name,
                s.rows,
                s.polar_accuracy,
                s.accuracy
                    .map_or("(no neutral labels)".into(), |a| format!("{a:.4}"))
            ));
        }
        md.push_str(&format!(
            "\nSettings tried (out-of-fold accuracy; the chosen one has the best mean of the two): \
             L2 strength {} and domain weight {} chosen.\n\n\
             | L2 | domain weight | positive vs negative | three labels (argmax) |\n| --- | --- | --- | --- |\n",
            self.l2, self.domain_weight
        ));
        for t in &self.tried {
            md.push_str(&format!(
                "| {} | {} | {:.4} | {} |\n",
                t.l2,
                t.domain_weight,
                t.polar_accuracy,
                t.three_label_accuracy
                    .map_or("-".into(), |a| format!("{a:.4}"))
            ));
        }
        md.push('\n');
        md.push_str(&format!(
            "## Calibration\n\nTemperature {:.4}, fitted on the out-of-fold logits by likelihood. \
             Expected calibration error of the top label's probability (10 bins): {:.4} before, \
             {:.4} after.\n\n| probability | sentences | mean probability | right |\n| --- | --- | --- | --- |\n",
            self.temperature, self.ece_before, self.ece_after
        ));
        for b in &self.reliability {
            md.push_str(&format!(
                "| {:.1}–{:.1} | {} | {:.3} | {:.3} |\n",
                b.from, b.to, b.count, b.confidence, b.accuracy
            ));
        }
        md.push_str(&format!(
            "\n## The neutral band\n\nA comment is negative or positive when that calibrated \
             probability is at least **{:.2}**, neutral otherwise: the threshold that labels the \
             out-of-fold sentences of the files with neutral labels best.\n",
            self.polar_threshold
        ));
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_are_named() {
        let mut data = DataSet::default();
        let e = data
            .add_csv("x.csv", "text,label\nfine,1\nbad,maybe\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("x.csv:3: field label: \"maybe\""), "{e}");
        let e = data
            .add_csv("y.csv", "words,label\na,1\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("y.csv:1: needs the columns text and label"),
            "{e}"
        );
        let e = data
            .add_csv("z.csv", "text,label\n \t,1\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("z.csv:2: field text: empty"), "{e}");
        assert!(data.examples.is_empty(), "nothing kept from a bad file");
    }

    #[test]
    fn temperature_undoes_overconfidence() {
        // Logits three times too sharp (p = 0.99) for labels right 75% of the time.
        let mut logits = Vec::new();
        let mut labels = Vec::new();
        for i in 0..400 {
            logits.push([0.0, 0.0, 3.0 * 6f32.ln()]);
            labels.push(if i % 4 == 0 { NEGATIVE } else { POSITIVE });
        }
        let t = fit_temperature(&logits, &labels);
        let p = sentiment::softmax(logits[0], t as f32)[POSITIVE];
        assert!((p - 0.75).abs() < 0.01, "calibrated {p} at T={t}");
        let (before, _) = expected_calibration_error(&logits, &labels, 1.0);
        let (after, _) = expected_calibration_error(&logits, &labels, t);
        assert!(after < 0.01 && before > 0.2, "{before} -> {after}");
    }
}

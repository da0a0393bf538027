//! Offline evaluation: a time split of the history, ranking metrics for the
//! ranker and simple baselines, and a paired bootstrap for A/B comparisons.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::features::{COUNT, Feature, Values};
use super::history::History;
use super::ranker::{self, Overrides, Ranker, Settings};
use super::{Catalog, Context};

const DAY: i64 = 86_400;

/// Where the history is cut: the ranker learns from features at `train_cut`
/// and completions in `[train_cut, cut)`; it is tested on features at `cut`
/// and what students opened in `[cut, end)`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Split {
    pub train_cut: i64,
    pub cut: i64,
    pub end: i64,
}

impl Split {
    /// The last `weeks` for testing, the `weeks` before them for labels to train on.
    pub fn last_weeks(history: &History, weeks: i64) -> Option<Split> {
        let (first, last) = history.span()?;
        let end = last + 1;
        let cut = end - weeks * 7 * DAY;
        let train_cut = cut - weeks * 7 * DAY;
        (train_cut > first).then_some(Split {
            train_cut,
            cut,
            end,
        })
    }
}

/// Rows to train on: every resource for every student who opened something
/// in `[from, to)`, with features as of `from`, labelled by completion.
pub fn training_rows(history: &History, from: i64, to: i64) -> Vec<(Values, bool)> {
    let ctx = history.context_at(from);
    let outcomes = history.outcomes(from, to);
    let settings = Settings::default();
    let prior = Ranker::prior();
    let mut rows = Vec::new();
    for (s, outcome) in outcomes.iter().enumerate() {
        if outcome.is_empty() {
            continue;
        }
        for scored in ranker::score_all(&ctx, s, &prior, &settings) {
            let done = outcome.get(&scored.resource).copied().unwrap_or(0) >= 2;
            rows.push((scored.values, done));
        }
    }
    rows
}

/// What ranks the resources.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Method {
    Ranker(Settings),
    /// Most completed first.
    Popularity,
    Random,
    /// Interest similarity alone.
    ContentOnly,
    /// Difficulty fit and skill need from the abilities alone.
    AbilityOnly,
}

impl Method {
    pub fn name(&self) -> String {
        match self {
            Method::Ranker(s) => format!(
                "ranker (gap priority {:.2}, diversity {:.2})",
                s.gap_priority, s.diversity
            ),
            Method::Popularity => "popularity".to_string(),
            Method::Random => "random".to_string(),
            Method::ContentOnly => "content only".to_string(),
            Method::AbilityOnly => "ability only".to_string(),
        }
    }
}

/// The top `k` of one student under `method`.
pub fn top_k(
    ctx: &Context,
    student: usize,
    ranker: &Ranker,
    method: Method,
    k: usize,
) -> Vec<usize> {
    let settings = match method {
        Method::Ranker(s) => s,
        _ => Settings::default(),
    };
    let mut scored = ranker::score_all(ctx, student, ranker, &settings);
    if let Method::Ranker(s) = method {
        return ranker::pick(&ctx.catalog, scored, &Overrides::default(), k, s.diversity)
            .into_iter()
            .map(|s| s.resource)
            .collect();
    }
    let value = |v: &Values, j: Feature| {
        let x = v[j.index()];
        if x.is_nan() { 0.0 } else { x }
    };
    for s in &mut scored {
        s.score = match method {
            Method::Popularity => f64::from(s.facts.completions),
            Method::Random => {
                let mut rng = ChaCha8Rng::seed_from_u64((student as u64) << 20 | s.resource as u64);
                rng.random()
            }
            Method::ContentOnly => value(&s.values, Feature::Interest),
            Method::AbilityOnly => value(&s.values, Feature::Fit) + value(&s.values, Feature::Need),
            Method::Ranker(_) => s.score,
        };
    }
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.resource.cmp(&b.resource))
    });
    scored.into_iter().take(k).map(|s| s.resource).collect()
}

/// Per-student metrics of one list against what the student did next.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct ListScore {
    pub precision: f64,
    pub recall: f64,
    pub ndcg: f64,
}

/// Gains: opened 1, completed 3 (2^grade - 1).
fn gain(grade: u8) -> f64 {
    f64::from((1u32 << grade.min(8)) - 1)
}

pub fn score_list(list: &[usize], outcome: &HashMap<usize, u8>, k: usize) -> ListScore {
    let relevant = outcome.values().filter(|&&g| g > 0).count();
    if relevant == 0 || k == 0 {
        return ListScore::default();
    }
    let hits = list
        .iter()
        .take(k)
        .filter(|r| outcome.get(r).is_some_and(|&g| g > 0))
        .count();
    let dcg: f64 = list
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, r)| gain(outcome.get(r).copied().unwrap_or(0)) / (i as f64 + 2.0).log2())
        .sum();
    let mut ideal: Vec<u8> = outcome.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| gain(g) / (i as f64 + 2.0).log2())
        .sum();
    ListScore {
        precision: hits as f64 / k as f64,
        recall: hits as f64 / relevant as f64,
        ndcg: if idcg > 0.0 { dcg / idcg } else { 0.0 },
    }
}

/// Mean pairwise dissimilarity (1 - similarity) within a list.
pub fn intra_list_diversity(catalog: &Catalog, list: &[usize]) -> Option<f64> {
    let mut sum = 0.0;
    let mut pairs = 0usize;
    for (i, &a) in list.iter().enumerate() {
        for &b in &list[i + 1..] {
            sum += 1.0 - ranker::similarity(catalog, a, b);
            pairs += 1;
        }
    }
    (pairs > 0).then(|| sum / pairs as f64)
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MethodResult {
    pub method: String,
    pub precision: f64,
    pub recall: f64,
    pub ndcg: f64,
    /// 95% bootstrap interval of the mean NDCG.
    pub ndcg_low: f64,
    pub ndcg_high: f64,
    /// Share of the catalog suggested to anyone.
    pub coverage: f64,
    pub diversity: f64,
    #[serde(skip)]
    pub per_student_ndcg: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    /// Mean NDCG of B minus A, with its paired-bootstrap 95% interval.
    pub difference: f64,
    pub low: f64,
    pub high: f64,
    /// Mean NDCG of B over A, with its interval.
    pub ratio: f64,
    pub ratio_low: f64,
    pub ratio_high: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Evaluation {
    pub split: Split,
    pub k: usize,
    /// Students who opened anything in the test weeks (the others cannot score).
    pub students: usize,
    pub training_rows: usize,
    pub training_completions: usize,
    pub weights: Vec<(String, f64)>,
    pub methods: Vec<MethodResult>,
    /// B against each baseline (popularity first), paired over students.
    pub versus: Vec<Comparison>,
    pub ab: Comparison,
}

pub const BOOTSTRAP_ROUNDS: usize = 2000;

/// Paired bootstrap over students of mean(b) - mean(a) and mean(b) / mean(a).
pub fn compare(a_name: &str, a: &[f64], b_name: &str, b: &[f64], seed: u64) -> Comparison {
    let n = a.len().min(b.len());
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (ma, mb) = (mean(&a[..n]), mean(&b[..n]));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut diffs = Vec::with_capacity(BOOTSTRAP_ROUNDS);
    let mut ratios = Vec::with_capacity(BOOTSTRAP_ROUNDS);
    for _ in 0..BOOTSTRAP_ROUNDS {
        let (mut sa, mut sb) = (0.0, 0.0);
        for _ in 0..n {
            let i = rng.random_range(0..n.max(1));
            sa += a[i];
            sb += b[i];
        }
        diffs.push((sb - sa) / n.max(1) as f64);
        ratios.push(if sa > 0.0 { sb / sa } else { f64::INFINITY });
    }
    let (low, high) = interval(&mut diffs);
    let (ratio_low, ratio_high) = interval(&mut ratios);
    Comparison {
        a: a_name.to_string(),
        b: b_name.to_string(),
        difference: mb - ma,
        low,
        high,
        ratio: if ma > 0.0 { mb / ma } else { f64::INFINITY },
        ratio_low,
        ratio_high,
    }
}

/// The 2.5th and 97.5th percentiles.
fn interval(values: &mut [f64]) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.025), at(0.975))
}

/// Trains on the weeks before `split.cut`, tests on the weeks after, for the
/// ranker under `a` and `b` and every baseline.
pub fn evaluate(history: &History, split: Split, k: usize, a: Settings, b: Settings) -> Evaluation {
    let rows = training_rows(history, split.train_cut, split.cut);
    let ranker = Ranker::train(&rows);
    let ctx = history.context_at(split.cut);
    let outcomes = history.outcomes(split.cut, split.end);
    let tested: Vec<usize> = (0..outcomes.len())
        .filter(|&s| !outcomes[s].is_empty())
        .collect();
    let methods = [
        Method::Ranker(b),
        Method::Ranker(a),
        Method::Popularity,
        Method::Random,
        Method::ContentOnly,
        Method::AbilityOnly,
    ];
    let results: Vec<MethodResult> = methods
        .iter()
        .enumerate()
        .map(|(m, &method)| {
            let mut scores = Vec::with_capacity(tested.len());
            let mut suggested = vec![false; ctx.catalog.resources.len()];
            let mut diversity = Vec::new();
            for &s in &tested {
                let list = top_k(&ctx, s, &ranker, method, k);
                list.iter().for_each(|&r| suggested[r] = true);
                diversity.extend(intra_list_diversity(&ctx.catalog, &list));
                scores.push(score_list(&list, &outcomes[s], k));
            }
            let mean = |f: fn(&ListScore) -> f64| {
                scores.iter().map(f).sum::<f64>() / scores.len().max(1) as f64
            };
            let per_student_ndcg: Vec<f64> = scores.iter().map(|s| s.ndcg).collect();
            let mut boot = per_student_ndcg.clone();
            let (low, high) = bootstrap_mean(&mut boot, 17 + m as u64);
            MethodResult {
                method: method.name(),
                precision: mean(|s| s.precision),
                recall: mean(|s| s.recall),
                ndcg: mean(|s| s.ndcg),
                ndcg_low: low,
                ndcg_high: high,
                coverage: suggested.iter().filter(|&&x| x).count() as f64
                    / suggested.len().max(1) as f64,
                diversity: diversity.iter().sum::<f64>() / diversity.len().max(1) as f64,
                per_student_ndcg,
            }
        })
        .collect();
    let versus = results[2..]
        .iter()
        .enumerate()
        .map(|(i, baseline)| {
            compare(
                &baseline.method,
                &baseline.per_student_ndcg,
                &results[0].method,
                &results[0].per_student_ndcg,
                23 + i as u64,
            )
        })
        .collect();
    let ab = compare(
        &results[1].method,
        &results[1].per_student_ndcg,
        &results[0].method,
        &results[0].per_student_ndcg,
        29,
    );
    Evaluation {
        split,
        k,
        students: tested.len(),
        training_rows: rows.len(),
        training_completions: ranker.positives,
        weights: super::features::FEATURES
            .iter()
            .zip(ranker.weights)
            .map(|(f, w)| (f.name().to_string(), w))
            .take(COUNT)
            .collect(),
        methods: results,
        versus,
        ab,
    }
}

/// The 95% bootstrap interval of a mean.
fn bootstrap_mean(values: &mut [f64], seed: u64) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means: Vec<f64> = (0..BOOTSTRAP_ROUNDS)
        .map(|_| (0..n).map(|_| values[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    interval(&mut means)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_is_one_for_the_ideal_order_and_less_otherwise() {
        let outcome: HashMap<usize, u8> = [(1, 2), (2, 1)].into_iter().collect();
        let ideal = score_list(&[1, 2, 3], &outcome, 3);
        assert!((ideal.ndcg - 1.0).abs() < 1e-12);
        assert!((ideal.recall - 1.0).abs() < 1e-12);
        assert!((ideal.precision - 2.0 / 3.0).abs() < 1e-12);
        let swapped = score_list(&[2, 1, 3], &outcome, 3);
        assert!(swapped.ndcg < ideal.ndcg);
        let missed = score_list(&[3, 4, 5], &outcome, 3);
        assert_eq!(missed.ndcg, 0.0);
    }

    #[test]
    fn a_real_difference_has_an_interval_that_excludes_zero() {
        let a: Vec<f64> = (0..200).map(|i| f64::from(i % 7) / 10.0).collect();
        let b: Vec<f64> = a.iter().map(|x| x + 0.05).collect();
        let c = compare("a", &a, "b", &b, 1);
        assert!((c.difference - 0.05).abs() < 1e-9);
        assert!(c.low > 0.0 && c.high < 0.1, "{c:?}");
        let same = compare("a", &a, "a", &a, 1);
        assert_eq!((same.low, same.high), (0.0, 0.0));
    }
}

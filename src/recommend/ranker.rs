//! The ranker: logistic regression over standardised features, trained on
//! which resources students went on to complete. A score is the bias plus one
//! term per feature, so each suggestion's reasons are its exact contributions.

use std::collections::HashSet;

use serde::Serialize;

use super::features::{self, COUNT, FEATURES, Facts, Feature, Prepared, Values};
use super::{Catalog, Context, MASTERED, RECENT_DAYS};

/// L2 penalty on the standardised weights (a weak prior toward "no effect").
const RIDGE: f64 = 1.0;
const NEWTON_ROUNDS: usize = 30;
/// Features whose direction teachers fix: a better fit, a bigger gap or
/// readier prerequisites never count against a resource, whatever a
/// school's history happens to correlate with them.
const NON_NEGATIVE: [Feature; 3] = [Feature::Fit, Feature::Need, Feature::Ready];
/// Reasons given for a suggestion at most (then one against it, if any).
const MAX_REASONS: usize = 4;
/// Candidates the diversity pass looks at, best first.
const POOL: usize = 60;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Ranker {
    /// Standardisation of each feature (missing values read as the mean).
    pub means: Values,
    pub scales: Values,
    /// Log-odds per standard deviation of each feature, as learned.
    pub weights: Values,
    pub bias: f64,
    /// Training rows and how many were completions; zero for the prior.
    pub examples: usize,
    pub positives: usize,
}

/// How suggestions are made from the ranker's scores.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Settings {
    /// Extra log-odds per SD of skill need: how much closing gaps should
    /// outweigh what students would pick anyway.
    pub gap_priority: f64,
    /// 0: by score alone; toward 1: more spread over skills and kinds (MMR).
    pub diversity: f64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            gap_priority: 0.75,
            diversity: 0.5,
        }
    }
}

impl Ranker {
    /// The ranker a school with no completions yet starts from: every signal
    /// counts a little, novelty and fit most.
    pub fn prior() -> Ranker {
        Ranker {
            means: [0.1, 0.5, 0.4, 0.8, 0.9, 0.5, 0.05, 0.05, 0.05, 0.05],
            scales: [0.1, 0.3, 0.2, 0.3, 0.25, 0.3, 0.1, 0.15, 0.1, 0.1],
            weights: [0.3, 0.4, 0.3, 0.3, 0.8, 0.2, 0.3, 0.3, 0.5, 0.3],
            bias: -4.0,
            examples: 0,
            positives: 0,
        }
    }

    /// Fits the weights by Newton's method on `rows` (features, completed).
    /// Falls back to the prior when there is nothing to learn from.
    pub fn train(rows: &[(Values, bool)]) -> Ranker {
        let positives = rows.iter().filter(|r| r.1).count();
        if positives == 0 || positives == rows.len() {
            return Ranker::prior();
        }
        let (means, scales) = standardisation(rows);
        let z: Vec<[f64; COUNT + 1]> = rows
            .iter()
            .map(|(x, _)| {
                let mut z = [1.0; COUNT + 1];
                for j in 0..COUNT {
                    z[j] = standardise(x[j], means[j], scales[j]);
                }
                z
            })
            .collect();
        let n = COUNT + 1;
        let rate = positives as f64 / rows.len() as f64;
        let mut beta = vec![0.0; n];
        beta[COUNT] = (rate / (1.0 - rate)).ln();
        for _ in 0..NEWTON_ROUNDS {
            let mut gradient = vec![0.0; n];
            let mut hessian = vec![vec![0.0; n]; n];
            for (zi, (_, y)) in z.iter().zip(rows) {
                let eta: f64 = zi.iter().zip(&beta).map(|(a, b)| a * b).sum();
                let p = 1.0 / (1.0 + (-eta).exp());
                let residual = f64::from(u8::from(*y)) - p;
                let w = p * (1.0 - p);
                for a in 0..n {
                    gradient[a] += residual * zi[a];
                    for b in a..n {
                        hessian[a][b] += w * zi[a] * zi[b];
                    }
                }
            }
            // Only the upper triangle was summed; mirror it.
            for a in 1..n {
                let (upper, lower) = hessian.split_at_mut(a);
                for (b, row) in upper.iter().enumerate() {
                    lower[0][b] = row[a];
                }
            }
            for j in 0..COUNT {
                gradient[j] -= RIDGE * beta[j];
                hessian[j][j] += RIDGE;
            }
            let Some(step) = solve(hessian, gradient) else {
                break;
            };
            let largest = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
            beta.iter_mut().zip(&step).for_each(|(b, s)| *b += s);
            // Projected Newton: these directions are set by design, not by data.
            for f in NON_NEGATIVE {
                beta[f.index()] = beta[f.index()].max(0.0);
            }
            if largest < 1e-8 {
                break;
            }
        }
        let mut weights = [0.0; COUNT];
        weights.copy_from_slice(&beta[..COUNT]);
        Ranker {
            means,
            scales,
            weights,
            bias: beta[COUNT],
            examples: rows.len(),
            positives,
        }
    }

    /// Each feature's term in the score, under `settings`.
    pub fn contributions(&self, x: &Values, settings: &Settings) -> Values {
        let mut c = [0.0; COUNT];
        for j in 0..COUNT {
            let weight = self.weights[j]
                + if FEATURES[j] == Feature::Need {
                    settings.gap_priority
                } else {
                    0.0
                };
            c[j] = weight * standardise(x[j], self.means[j], self.scales[j]);
        }
        c
    }

    /// The score: bias plus the contributions.
    pub fn score(&self, x: &Values, settings: &Settings) -> f64 {
        self.bias + self.contributions(x, settings).iter().sum::<f64>()
    }
}

fn standardise(x: f64, mean: f64, scale: f64) -> f64 {
    if x.is_nan() { 0.0 } else { (x - mean) / scale }
}

fn standardisation(rows: &[(Values, bool)]) -> (Values, Values) {
    let mut means = [0.0; COUNT];
    let mut scales = [1.0; COUNT];
    for j in 0..COUNT {
        let known: Vec<f64> = rows
            .iter()
            .map(|r| r.0[j])
            .filter(|v| !v.is_nan())
            .collect();
        if known.is_empty() {
            continue;
        }
        let mean = known.iter().sum::<f64>() / known.len() as f64;
        let var = known.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / known.len() as f64;
        means[j] = mean;
        // A constant feature teaches nothing; a unit scale keeps it harmless.
        scales[j] = if var > 1e-12 { var.sqrt() } else { 1.0 };
    }
    (means, scales)
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (done, rest) = a.split_at_mut(col + 1);
        let pivot_row = &done[col];
        for (offset, row) in rest.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            row.iter_mut()
                .zip(pivot_row)
                .skip(col)
                .for_each(|(x, p)| *x -= f * p);
            b[col + 1 + offset] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

/// A teacher's decisions for one student: pinned resources first (in this
/// order), hidden ones never.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub pins: Vec<usize>,
    pub hides: HashSet<usize>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Suggestion {
    pub resource: usize,
    pub score: f64,
    pub pinned: bool,
    pub values: Values,
    pub contributions: Values,
    pub facts: Facts,
}

/// Every resource's features and score for one student.
pub fn score_all(
    ctx: &Context,
    student: usize,
    ranker: &Ranker,
    settings: &Settings,
) -> Vec<Suggestion> {
    let prepared = Prepared::new(ctx, &ctx.students[student]);
    score_prepared(ctx, student, &prepared, ranker, settings)
}

/// [`score_all`] with the student's shared part already computed.
pub fn score_prepared(
    ctx: &Context,
    student: usize,
    prepared: &Prepared,
    ranker: &Ranker,
    settings: &Settings,
) -> Vec<Suggestion> {
    let s = &ctx.students[student];
    let max_completions = ctx.crowd.completions.iter().copied().max().unwrap_or(0);
    (0..ctx.catalog.resources.len())
        .map(|r| {
            let (values, facts) = features::compute(ctx, s, prepared, r, max_completions);
            let contributions = ranker.contributions(&values, settings);
            Suggestion {
                resource: r,
                score: ranker.bias + contributions.iter().sum::<f64>(),
                pinned: false,
                values,
                contributions,
                facts,
            }
        })
        .collect()
}

/// How alike two resources are for diversity: same skill counts most, then same kind.
pub fn similarity(catalog: &Catalog, a: usize, b: usize) -> f64 {
    let (ra, rb) = (&catalog.resources[a], &catalog.resources[b]);
    let skill = if ra.skill.is_some() && ra.skill == rb.skill {
        0.6
    } else {
        0.0
    };
    skill + if ra.kind == rb.kind { 0.4 } else { 0.0 }
}

/// Picks `k` of `scored` (any order): pins first, hidden never, the rest by
/// maximal marginal relevance over the best [`POOL`].
pub fn pick(
    catalog: &Catalog,
    mut scored: Vec<Suggestion>,
    overrides: &Overrides,
    k: usize,
    diversity: f64,
) -> Vec<Suggestion> {
    scored.retain(|s| !overrides.hides.contains(&s.resource));
    let mut chosen: Vec<Suggestion> = Vec::with_capacity(k);
    for &pin in &overrides.pins {
        if let Some(at) = scored.iter().position(|s| s.resource == pin) {
            let mut s = scored.swap_remove(at);
            s.pinned = true;
            chosen.push(s);
        }
    }
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.resource.cmp(&b.resource))
    });
    scored.truncate(POOL.max(k));
    let (top, bottom) = match (scored.first(), scored.last()) {
        (Some(t), Some(b)) => (t.score, b.score),
        _ => return chosen,
    };
    let range = (top - bottom).max(1e-9);
    while chosen.len() < k && !scored.is_empty() {
        let best = scored
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let relevance = (s.score - bottom) / range;
                let redundancy = chosen
                    .iter()
                    .map(|c| similarity(catalog, c.resource, s.resource))
                    .fold(0.0, f64::max);
                (i, (1.0 - diversity) * relevance - diversity * redundancy)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map_or(0, |b| b.0);
        chosen.push(scored.remove(best));
    }
    chosen
}

/// The top `k` for one student.
pub fn recommend(
    ctx: &Context,
    student: usize,
    ranker: &Ranker,
    settings: &Settings,
    overrides: &Overrides,
    k: usize,
) -> Vec<Suggestion> {
    let scored = score_all(ctx, student, ranker, settings);
    pick(&ctx.catalog, scored, overrides, k, settings.diversity)
}

/// Contributions smaller than this (log-odds) go unmentioned.
const SAYS: f64 = 0.15;

/// The suggestion's reasons in words, strongest first: what speaks for it,
/// then the strongest thing against it. Each phrase states the fact behind a
/// feature; its contribution's sign says which side it is on.
pub fn reasons(catalog: &Catalog, s: &Suggestion) -> Vec<String> {
    let mut out = Vec::new();
    if s.pinned {
        out.push("pinned by a teacher".to_string());
    }
    let mut order: Vec<usize> = (0..COUNT).collect();
    order.sort_by(|&a, &b| s.contributions[b].total_cmp(&s.contributions[a]));
    let skill_name = catalog.resources[s.resource]
        .skill
        .and_then(|k| catalog.skills.get(k))
        .map_or("no skill", |k| k.name.as_str());
    for &j in order.iter().take(MAX_REASONS) {
        if s.contributions[j] < SAYS {
            break;
        }
        if let Some(text) = say(
            catalog,
            FEATURES[j],
            &s.facts,
            s.values[j],
            skill_name,
            false,
        ) {
            out.push(text);
        }
    }
    if let Some(&j) = order.last()
        && s.contributions[j] <= -2.0 * SAYS
        && let Some(text) = say(
            catalog,
            FEATURES[j],
            &s.facts,
            s.values[j],
            skill_name,
            true,
        )
    {
        out.push(format!("but {text}"));
    }
    out
}

fn percent(p: f64) -> String {
    format!("{:.0}%", 100.0 * p)
}

/// The fact behind feature `f` (of value `value`), in words; `against` when
/// it counted against the suggestion.
fn say(
    catalog: &Catalog,
    f: Feature,
    facts: &Facts,
    value: f64,
    skill: &str,
    against: bool,
) -> Option<String> {
    Some(match f {
        Feature::Interest if value >= 0.0 => format!(
            "close to what they write and search about (similarity {:.2})",
            facts.interest?
        ),
        Feature::Interest => "unlike what they write and search about".to_string(),
        Feature::Fit => {
            let success = percent(facts.success);
            if value >= 0.6 {
                format!("right difficulty ({success} predicted success)")
            } else if facts.success < features::TARGET_SUCCESS {
                format!("likely too hard ({success} predicted success)")
            } else {
                format!("likely too easy ({success} predicted success)")
            }
        }
        Feature::Need => match facts.mastery {
            None => "not tied to a skill".to_string(),
            Some(_) if !facts.assessed => format!("{skill} not assessed yet"),
            Some(m) if m < MASTERED && against => format!(
                "a smaller gap than their others ({skill}: {} expected right)",
                percent(m)
            ),
            Some(m) if m < MASTERED => {
                format!("closes a gap in {skill} ({} expected right)", percent(m))
            }
            Some(m) => format!("{skill} is already strong ({} expected right)", percent(m)),
        },
        Feature::Ready => match facts.unready {
            None => "prerequisites met".to_string(),
            Some((p, m)) => format!(
                "{} first ({} expected right, {} is mastered)",
                catalog.skills.get(p)?.name,
                percent(m),
                percent(MASTERED)
            ),
        },
        Feature::Novelty => match facts.engagement {
            0 => "new to them".to_string(),
            1 => "opened before, not finished".to_string(),
            _ => "completed before".to_string(),
        },
        Feature::Popularity if facts.completions > 0 => {
            format!("completed by {} students", facts.completions)
        }
        Feature::Popularity => "completed by no one yet".to_string(),
        Feature::Classmates if facts.classmates.0 > 0 => format!(
            "{} of {} classmates opened it in the last {RECENT_DAYS} days",
            facts.classmates.0, facts.classmates.1
        ),
        Feature::Classmates => format!("no classmate opened it in the last {RECENT_DAYS} days"),
        Feature::Current if facts.current > 0.0 => format!(
            "in the skill they are working on now ({} of their recent work)",
            percent(facts.current)
        ),
        Feature::Current => "not what they are working on now".to_string(),
        Feature::ClassSkill if facts.class_skill > 0.0 => format!(
            "their class is working on {skill} now ({} of its work this week)",
            percent(facts.class_skill)
        ),
        Feature::ClassSkill => "not what their class is working on this week".to_string(),
        Feature::Upcoming => match facts.upcoming {
            Some((p, share)) => format!(
                "comes next: it builds on {}, which their class is on this week ({} of its work)",
                catalog.skills.get(p)?.name,
                percent(share)
            ),
            None => "not next for their class".to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_recovers_the_direction_of_each_signal() {
        // Completion rises with feature 1 and falls with feature 4.
        let mut rows = Vec::new();
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..20_000 {
            let mut x = [0.0; COUNT];
            x.iter_mut().for_each(|v| *v = next());
            let eta = -3.0 + 3.0 * x[1] - 2.0 * x[4];
            let y = next() < 1.0 / (1.0 + (-eta).exp());
            rows.push((x, y));
        }
        let ranker = Ranker::train(&rows);
        let per_unit = |j: usize| ranker.weights[j] / ranker.scales[j];
        assert!((per_unit(1) - 3.0).abs() < 0.4, "{:?}", ranker.weights);
        assert!((per_unit(4) + 2.0).abs() < 0.4, "{:?}", ranker.weights);
        for j in [0, 2, 3, 5, 6, 7, 8, 9] {
            assert!(
                per_unit(j).abs() < 0.35,
                "feature {j}: {:?}",
                ranker.weights
            );
        }
    }

    #[test]
    fn a_gap_never_counts_against_a_resource() {
        // Completion falls with skill need here; the weight stops at zero.
        let rows: Vec<(Values, bool)> = (0..4000)
            .map(|i| {
                let mut x = [0.5; COUNT];
                x[2] = f64::from(i % 10) / 10.0;
                (x, i % 10 < 3 && i % 7 == 0)
            })
            .collect();
        let ranker = Ranker::train(&rows);
        assert_eq!(ranker.weights[2], 0.0, "{:?}", ranker.weights);
    }

    #[test]
    fn nothing_to_learn_from_gives_the_prior() {
        let rows = vec![([0.5; COUNT], false); 10];
        assert_eq!(Ranker::train(&rows), Ranker::prior());
    }

    #[test]
    fn contributions_add_up_to_the_score() {
        let ranker = Ranker::prior();
        let x = [0.3, 0.9, 0.6, f64::NAN, 1.0, 0.2, 0.4, 0.5, 0.1, 0.0];
        let settings = Settings::default();
        let c = ranker.contributions(&x, &settings);
        assert_eq!(c[3], 0.0, "a missing feature neither helps nor hurts");
        let sum: f64 = ranker.bias + c.iter().sum::<f64>();
        assert!((sum - ranker.score(&x, &settings)).abs() < 1e-12);
    }
}

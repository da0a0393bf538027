//! Mastery over time: each student's ability in a skill, week by week.
//!
//! The items keep the parameters of the skill's 2PL fit; the student's ability
//! may move between weeks as a Gaussian random walk (a `drift` SD per week).
//! The posterior over the quadrature grid is carried forward week by week: it
//! spreads by the drift for the weeks that passed, then takes in that week's
//! answers. With no drift this is the EAP from every answer so far, so the
//! last point equals the stored ability. The drift is chosen per skill as the
//! one whose weekly forecasts of the next answers were best (one-step-ahead
//! log loss): a model that predicts answers it has not seen yet better has
//! earned its trajectories.

use std::collections::HashMap;

use serde::Serialize;

use super::evaluate::auc;
use super::irt::{AbilityEstimate, Grid, NODES, log_sigmoids, log_sum_exp, summarise};

/// The drifts tried, in logits per week. 0 is the static model.
pub const DRIFTS: [f64; 7] = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45];

/// Students whose answers choose a skill's drift: enough for a stable choice,
/// few enough that a district's skill costs a fraction of its fit.
pub const CHOICE_STUDENTS: usize = 3_000;

/// One answer, in the week it was given (weeks counted from the data's first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedAnswer {
    pub week: u32,
    /// Index into the items the tracker was made with.
    pub item: usize,
    pub correct: bool,
}

/// The estimate after a week's answers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WeekEstimate {
    pub week: u32,
    pub theta: f64,
    pub sd: f64,
    /// Answers so far, this week's included.
    pub answered: usize,
}

/// An item as the tracker scores it: log P(wrong) on the grid, and the
/// slope-intercept form that turns it into log P(right).
struct ItemTable {
    log_wrong: [f64; NODES],
    /// P(right) on the grid, for forecasts.
    right: [f64; NODES],
    slope: f64,
    intercept: f64,
}

/// Carries posteriors forward through the weeks for one skill's items.
pub struct Tracker {
    grid: Grid,
    items: Vec<ItemTable>,
    drift: f64,
    /// Spreading matrices by the number of weeks passed.
    kernels: HashMap<u32, Vec<[f64; NODES]>>,
}

impl Tracker {
    /// `items` are (difficulty, discrimination) from the skill's fit.
    pub fn new(items: &[(f64, f64)], drift: f64) -> Tracker {
        let grid = Grid::new();
        let items = items
            .iter()
            .map(|&(difficulty, discrimination)| {
                let slope = discrimination;
                let intercept = -discrimination * difficulty;
                let logit = |q: usize| slope * grid.nodes[q] + intercept;
                ItemTable {
                    log_wrong: std::array::from_fn(|q| log_sigmoids(logit(q)).1),
                    right: std::array::from_fn(|q| log_sigmoids(logit(q)).0.exp()),
                    slope,
                    intercept,
                }
            })
            .collect();
        Tracker {
            grid,
            items,
            drift: drift.max(0.0),
            kernels: HashMap::new(),
        }
    }

    pub fn drift(&self) -> f64 {
        self.drift
    }

    /// The student's estimate after each week with answers. `answers` need
    /// not be sorted; answers to items the tracker does not know are skipped.
    pub fn trajectory(&mut self, answers: &[TimedAnswer]) -> Vec<WeekEstimate> {
        self.run(answers, None)
    }

    /// Like [`Tracker::trajectory`], also forecasting each week's answers
    /// from the weeks before (P(right), answer) into `forecasts`. The first
    /// week's answers are not forecast: nothing came before them.
    pub fn forecast(
        &mut self,
        answers: &[TimedAnswer],
        forecasts: &mut Vec<(f64, bool)>,
    ) -> Vec<WeekEstimate> {
        self.run(answers, Some(forecasts))
    }

    fn run(
        &mut self,
        answers: &[TimedAnswer],
        mut forecasts: Option<&mut Vec<(f64, bool)>>,
    ) -> Vec<WeekEstimate> {
        let mut sorted: Vec<TimedAnswer> = answers
            .iter()
            .filter(|a| a.item < self.items.len())
            .copied()
            .collect();
        sorted.sort_by_key(|a| a.week);
        let mut post = self.grid.log_prior;
        let mut trajectory: Vec<WeekEstimate> = Vec::new();
        let mut answered = 0;
        let mut start = 0;
        while start < sorted.len() {
            let week = sorted[start].week;
            let end = start + sorted[start..].partition_point(|a| a.week == week);
            if let Some(last) = trajectory.last() {
                self.spread(&mut post, week - last.week);
                if let Some(out) = forecasts.as_deref_mut() {
                    let norm = log_sum_exp(&post);
                    let weights: [f64; NODES] = std::array::from_fn(|q| (post[q] - norm).exp());
                    for a in &sorted[start..end] {
                        let item = &self.items[a.item];
                        let p: f64 = weights.iter().zip(&item.right).map(|(w, r)| w * r).sum();
                        out.push((p.clamp(1e-9, 1.0 - 1e-9), a.correct));
                    }
                }
            }
            for a in &sorted[start..end] {
                let item = &self.items[a.item];
                for (q, v) in post.iter_mut().enumerate() {
                    *v += item.log_wrong[q];
                    if a.correct {
                        *v += item.slope * self.grid.nodes[q] + item.intercept;
                    }
                }
            }
            answered += end - start;
            let norm = log_sum_exp(&post);
            let AbilityEstimate { theta, sd, .. } = summarise(&post, norm, &self.grid, answered);
            trajectory.push(WeekEstimate {
                week,
                theta,
                sd,
                answered,
            });
            // Keep the log posterior near 0 so that many weeks never underflow.
            post.iter_mut().for_each(|v| *v -= norm);
            start = end;
        }
        trajectory
    }

    /// Spreads the posterior by the drift of `weeks` weeks.
    fn spread(&mut self, post: &mut [f64; NODES], weeks: u32) {
        if self.drift == 0.0 || weeks == 0 {
            return;
        }
        let sd = self.drift * f64::from(weeks).sqrt();
        let nodes = self.grid.nodes;
        let kernel = self
            .kernels
            .entry(weeks)
            .or_insert_with(|| spreading(&nodes, sd));
        let max = post.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mass: [f64; NODES] = std::array::from_fn(|q| (post[q] - max).exp());
        let mut spread = [0.0; NODES];
        for (from, column) in kernel.iter().enumerate() {
            if mass[from] == 0.0 {
                continue;
            }
            for (to, weight) in column.iter().enumerate() {
                spread[to] += mass[from] * weight;
            }
        }
        for q in 0..NODES {
            post[q] = spread[q].max(f64::MIN_POSITIVE).ln() + max;
        }
    }
}

/// Column `from` holds where the mass at node `from` goes: a Gaussian of SD
/// `sd` cut at the grid's edges, renormalised so that no mass is lost.
fn spreading(nodes: &[f64; NODES], sd: f64) -> Vec<[f64; NODES]> {
    (0..NODES)
        .map(|from| {
            let mut column: [f64; NODES] = std::array::from_fn(|to| {
                let z = (nodes[to] - nodes[from]) / sd;
                if z.abs() > 8.0 {
                    0.0
                } else {
                    (-0.5 * z * z).exp()
                }
            });
            let total: f64 = column.iter().sum();
            column.iter_mut().for_each(|w| *w /= total);
            column
        })
        .collect()
}

/// How well one drift forecast a skill's answers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Forecast {
    pub drift: f64,
    /// Answers forecast (every week after a student's first in the skill).
    pub answers: usize,
    /// Mean log loss per answer (lower is better).
    pub log_loss: f64,
    pub auc: f64,
}

/// A skill's drift, chosen by forecasting, beside the static model's forecast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DriftChoice {
    pub chosen: Forecast,
    pub fixed: Forecast,
}

/// Forecasts `students`' answers (each one student's answers in the skill)
/// with every drift and keeps the best if it beats no drift by more than the
/// BIC's penalty for one parameter; at most [`CHOICE_STUDENTS`] students,
/// evenly spaced, take part. With nothing to forecast the drift is 0.
pub fn choose_drift(items: &[(f64, f64)], students: &[Vec<TimedAnswer>]) -> DriftChoice {
    let step = students.len().div_ceil(CHOICE_STUDENTS).max(1);
    let sample: Vec<&Vec<TimedAnswer>> = students.iter().step_by(step).collect();
    // One thread per drift: they are independent, and a district has 3,000
    // students per skill to forecast seven times.
    let forecasts: Vec<Forecast> = std::thread::scope(|scope| {
        let runs: Vec<_> = DRIFTS
            .iter()
            .map(|&drift| {
                let sample = &sample;
                scope.spawn(move || forecast_with(items, sample, drift))
            })
            .collect();
        runs.into_iter()
            .map(|run| run.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let fixed = forecasts[0];
    let best = forecasts
        .iter()
        .copied()
        .filter(|f| f.answers > 0)
        .min_by(|a, b| a.log_loss.total_cmp(&b.log_loss))
        .unwrap_or(fixed);
    // The drift is one more parameter: it must pay for itself by the BIC's
    // margin, or noise picks the drift.
    let gain = (fixed.log_loss - best.log_loss) * best.answers as f64;
    let chosen = if gain > 0.5 * (best.answers.max(1) as f64).ln() {
        best
    } else {
        fixed
    };
    DriftChoice { chosen, fixed }
}

/// The one-step-ahead forecast of every student's answers with one drift.
pub fn forecast_with(items: &[(f64, f64)], students: &[&Vec<TimedAnswer>], drift: f64) -> Forecast {
    let mut tracker = Tracker::new(items, drift);
    let mut forecasts = Vec::new();
    for answers in students {
        tracker.forecast(answers, &mut forecasts);
    }
    Forecast::score(drift, &mut forecasts)
}

impl Forecast {
    /// Scores (P(right), answer) pairs: mean log loss and AUC.
    pub fn score(drift: f64, forecasts: &mut [(f64, bool)]) -> Forecast {
        let answers = forecasts.len();
        let loss: f64 = forecasts
            .iter()
            .map(|&(p, right)| -if right { p.ln() } else { (1.0 - p).ln() })
            .sum();
        Forecast {
            drift,
            answers,
            log_loss: if answers == 0 {
                0.0
            } else {
                loss / answers as f64
            },
            auc: auc(forecasts),
        }
    }
}

/// Which way a trajectory went lately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Rising,
    Falling,
    Steady,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Trend {
    pub direction: Direction,
    /// The first week after the change (the first week when steady).
    pub since_week: u32,
    /// The estimates from the answers before and since that week (each alone,
    /// from the prior); both the whole-term estimate when steady.
    pub from: f64,
    pub to: f64,
    /// Twice the log likelihood ratio of the best two-level fit over a
    /// constant ability: how strongly the answers say something changed.
    pub evidence: f64,
}

/// The smallest change called a trend, in logits: about a third of the spread
/// of a class's abilities.
pub const TREND_MIN: f64 = 0.4;

/// The likelihood ratio (twice its log) a change must reach. A single test at
/// 9 errs about 3 times in 1,000; scanning every week as the change point
/// needs the margin.
pub const TREND_EVIDENCE: f64 = 9.0;

/// Answers needed on each side of a change: a couple of lucky guesses are no trend.
pub const TREND_ANSWERS: usize = 5;

impl Tracker {
    /// Whether the student's ability changed during the term: the best split
    /// of their weeks into "before" and "since", each side with its own
    /// ability, against one ability for all (maximum likelihood on the grid,
    /// so early estimates' pull towards the average does not pass for a
    /// trend). `None` with no answers.
    pub fn trend(&self, answers: &[TimedAnswer]) -> Option<Trend> {
        self.trend_at(answers, TREND_EVIDENCE)
    }

    /// [`Tracker::trend`] with another evidence threshold, to calibrate it.
    pub fn trend_at(&self, answers: &[TimedAnswer], needed: f64) -> Option<Trend> {
        let mut sorted: Vec<TimedAnswer> = answers
            .iter()
            .filter(|a| a.item < self.items.len())
            .copied()
            .collect();
        sorted.sort_by_key(|a| a.week);
        let first = sorted.first()?.week;
        // prefix[i]: the log likelihood of the first i answers on the grid.
        let mut prefix: Vec<[f64; NODES]> = Vec::with_capacity(sorted.len() + 1);
        prefix.push([0.0; NODES]);
        for a in &sorted {
            let item = &self.items[a.item];
            let mut next = prefix[prefix.len() - 1];
            for (q, v) in next.iter_mut().enumerate() {
                *v += item.log_wrong[q];
                if a.correct {
                    *v += item.slope * self.grid.nodes[q] + item.intercept;
                }
            }
            prefix.push(next);
        }
        let whole = prefix[sorted.len()];
        let since_of =
            |split: usize| -> [f64; NODES] { std::array::from_fn(|q| whole[q] - prefix[split][q]) };
        let best = |l: &[f64; NODES]| l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let estimate = |log_likelihood: &[f64; NODES], answered: usize| {
            let post: [f64; NODES] =
                std::array::from_fn(|q| self.grid.log_prior[q] + log_likelihood[q]);
            summarise(&post, log_sum_exp(&post), &self.grid, answered).theta
        };
        let mut strongest: Option<(usize, f64)> = None;
        for split in TREND_ANSWERS..=sorted.len().saturating_sub(TREND_ANSWERS) {
            if split == 0 || sorted[split].week == sorted[split - 1].week {
                continue;
            }
            let evidence = 2.0 * (best(&prefix[split]) + best(&since_of(split)) - best(&whole));
            if strongest.is_none_or(|(_, e)| evidence > e) {
                strongest = Some((split, evidence));
            }
        }
        let steady = |evidence: f64| {
            let theta = estimate(&whole, sorted.len());
            Trend {
                direction: Direction::Steady,
                since_week: first,
                from: theta,
                to: theta,
                evidence,
            }
        };
        let Some((split, evidence)) = strongest else {
            return Some(steady(0.0));
        };
        let from = estimate(&prefix[split], split);
        let to = estimate(&since_of(split), sorted.len() - split);
        if evidence < needed || (to - from).abs() < TREND_MIN {
            return Some(steady(evidence));
        }
        Some(Trend {
            direction: if to > from {
                Direction::Rising
            } else {
                Direction::Falling
            },
            since_week: sorted[split].week,
            from,
            to,
            evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ability::irt::{self, ScoredAnswer};
    use rand::{Rng, SeedableRng};

    fn items() -> Vec<(f64, f64)> {
        (0..30)
            .map(|i| (-2.0 + 4.0 * f64::from(i) / 29.0, 1.2))
            .collect()
    }

    /// A student whose ability follows `theta_at(week)`, answering six
    /// random items a week for `weeks` weeks.
    fn simulate(
        rng: &mut impl Rng,
        weeks: u32,
        theta_at: impl Fn(u32) -> f64,
        items: &[(f64, f64)],
    ) -> Vec<TimedAnswer> {
        let mut answers = Vec::new();
        for week in 0..weeks {
            for _ in 0..6 {
                let item = rng.random_range(0..items.len());
                let (b, a) = items[item];
                let p = 1.0 / (1.0 + (-a * (theta_at(week) - b)).exp());
                answers.push(TimedAnswer {
                    week,
                    item,
                    correct: rng.random::<f64>() < p,
                });
            }
        }
        answers
    }

    #[test]
    fn without_drift_the_last_week_is_the_eap_of_every_answer() {
        let items = items();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let answers = simulate(&mut rng, 5, |_| 0.5, &items);
        let trajectory = Tracker::new(&items, 0.0).trajectory(&answers);
        assert_eq!(trajectory.len(), 5);
        let scored: Vec<ScoredAnswer> = answers
            .iter()
            .map(|a| ScoredAnswer {
                difficulty: items[a.item].0,
                discrimination: items[a.item].1,
                correct: a.correct,
            })
            .collect();
        let eap = irt::eap_of(&scored);
        let last = trajectory[4];
        assert!((last.theta - eap.theta).abs() < 1e-9, "{last:?} {eap:?}");
        assert!((last.sd - eap.sd).abs() < 1e-9);
        assert_eq!(last.answered, 30);
        // Evidence only narrows the interval.
        assert!(trajectory.windows(2).all(|w| w[1].sd <= w[0].sd + 1e-12));
    }

    #[test]
    fn a_drop_is_followed_with_drift_and_named_as_a_fall() {
        let items = items();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let drop = |w: u32| if w < 8 { 1.0 } else { -1.0 };
        let answers = simulate(&mut rng, 16, drop, &items);
        let drifting = Tracker::new(&items, 0.2).trajectory(&answers);
        let fixed = Tracker::new(&items, 0.0).trajectory(&answers);
        let (now, then) = (drifting[15], fixed[15]);
        // The drifting estimate has left the old level; the static one
        // still averages the two halves.
        assert!(now.theta < -0.4, "{now:?}");
        assert!(then.theta > now.theta + 0.3, "{then:?} {now:?}");
        let t = Tracker::new(&items, 0.2)
            .trend(&answers)
            .unwrap_or_else(|| unreachable!("16 weeks"));
        assert_eq!(t.direction, Direction::Falling, "{t:?}");
        assert!((7..=9).contains(&t.since_week), "{t:?}");
        assert!(
            t.from > 0.4 && t.to < -0.4 && t.evidence >= TREND_EVIDENCE,
            "{t:?}"
        );
        // Moving ability is forecast better with drift than without.
        let students: Vec<Vec<TimedAnswer>> = (0..60)
            .map(|_| simulate(&mut rng, 16, drop, &items))
            .collect();
        let choice = choose_drift(&items, &students);
        assert!(choice.chosen.drift > 0.0, "{choice:?}");
        assert!(choice.chosen.log_loss < choice.fixed.log_loss);
        assert_eq!(choice.chosen.answers, 60 * 15 * 6);
    }

    #[test]
    fn a_constant_ability_is_steady_and_prefers_little_drift() {
        let items = items();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let students: Vec<Vec<TimedAnswer>> = (0..80)
            .map(|i| {
                let theta = -1.5 + 3.0 * f64::from(i) / 79.0;
                simulate(&mut rng, 12, move |_| theta, &items)
            })
            .collect();
        let choice = choose_drift(&items, &students);
        assert!(choice.chosen.drift <= 0.1, "{choice:?}");
        let tracker = Tracker::new(&items, choice.chosen.drift);
        let steady = students
            .iter()
            .filter(|s| tracker.trend(s).map(|t| t.direction) == Some(Direction::Steady))
            .count();
        assert!(steady >= 76, "{steady} of 80 steady");
    }

    #[test]
    fn gaps_and_empty_input_are_defined() {
        let items = items();
        let mut tracker = Tracker::new(&items, 0.3);
        assert!(tracker.trajectory(&[]).is_empty());
        let answers = [
            TimedAnswer {
                week: 0,
                item: 3,
                correct: true,
            },
            TimedAnswer {
                week: 40,
                item: 99, // not an item of this skill
                correct: true,
            },
            TimedAnswer {
                week: 40,
                item: 20,
                correct: false,
            },
        ];
        let trajectory = tracker.trajectory(&answers);
        assert_eq!(trajectory.len(), 2);
        assert!(
            trajectory
                .iter()
                .all(|w| w.theta.is_finite() && w.sd.is_finite())
        );
        // Forty weeks of drift forget most of week 0.
        assert!(trajectory[1].sd > 0.8, "{trajectory:?}");
        assert_eq!(tracker.trend(&[]), None);
        // Three answers cannot make a trend.
        let t = tracker.trend(&answers);
        assert_eq!(t.map(|t| t.direction), Some(Direction::Steady));
        let choice = choose_drift(&items, &[]);
        assert_eq!(choice.chosen.drift, 0.0);
        assert_eq!(choice.chosen.answers, 0);
    }
}

//! How well the abilities predict answers they did not see: a random share of
//! first attempts is held out per skill, the 2PL is fitted on the rest, and
//! the held-out answers are scored by AUC beside a baseline that knows only
//! each item's share right.

use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::bkt;
use super::irt::{self, Model, Responses};
use super::mastery::{self, TimedAnswer};
use crate::store::ability::FirstAttempt;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HeldOut {
    /// Answers held out and scored.
    pub answers: usize,
    /// AUC of P(right) from the 2PL (ability and item parameters).
    pub auc_irt: f64,
    /// AUC of the item's share right in the training answers.
    pub auc_item_rate: f64,
}

/// Holds out `share` of the first attempts (seeded), fits each skill on the rest
/// and scores the held-out ones.
pub fn held_out(attempts: &[FirstAttempt], share: f64, seed: u64) -> HeldOut {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut irt_scores = Vec::new();
    let mut rate_scores = Vec::new();
    for answers in super::school::by_skill(attempts).into_values() {
        let index = super::school::SkillIndex::new(&answers);
        let items = &index.items;
        let mut train = index.blank();
        let mut test = Vec::new();
        for (a, &(s, i)) in answers.iter().zip(&index.cells) {
            if rng.random::<f64>() < share {
                test.push((s, i, a.correct));
            } else {
                train[s][i] = Some(a.correct);
            }
        }
        let rates: Vec<f64> = (0..items.len())
            .map(|i| {
                let seen: Vec<bool> = train.iter().filter_map(|row| row[i]).collect();
                // Laplace: an item with no training answers scores one half.
                (seen.iter().filter(|x| **x).count() as f64 + 1.0) / (seen.len() as f64 + 2.0)
            })
            .collect();
        let Some(responses) = Responses::new(items.len(), train) else {
            continue;
        };
        let fit = irt::fit(&responses, Model::TwoPl);
        for (s, i, correct) in test {
            let item = &fit.items[i];
            let p = 1.0
                / (1.0 + (-item.discrimination * (fit.abilities[s].theta - item.difficulty)).exp());
            irt_scores.push((p, correct));
            rate_scores.push((rates[i], correct));
        }
    }
    HeldOut {
        answers: irt_scores.len(),
        auc_irt: auc(&mut irt_scores),
        auc_item_rate: auc(&mut rate_scores),
    }
}

/// Next week's answers forecast from the weeks before, three ways, summed
/// over skills (log loss and AUC weighted by each skill's forecast answers).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WeeklyForecasts {
    pub answers: usize,
    /// The 2PL ability carried week to week with each skill's chosen drift.
    pub irt_drift: (f64, f64),
    /// The same with no drift: every answer so far counts alike.
    pub irt_static: (f64, f64),
    /// Knowledge tracing, fitted per skill on the same students.
    pub bkt: (f64, f64),
}

/// Compares the mastery model with knowledge tracing on a school's first
/// attempts (sorted by skill), as `analyze` fits them: each skill's items and
/// BKT parameters from all its answers, forecasts for the students that
/// choose the drift.
pub fn weekly_forecasts(attempts: &[FirstAttempt]) -> WeeklyForecasts {
    let mut sums = [(0.0, 0.0); 3];
    let mut total = 0;
    for answers in super::school::by_skill(attempts).into_values() {
        let index = super::school::SkillIndex::new(&answers);
        let mut matrix = index.blank();
        let mut by_student: Vec<Vec<TimedAnswer>> = vec![Vec::new(); index.students.len()];
        for (a, &(s, i)) in answers.iter().zip(&index.cells) {
            matrix[s][i] = Some(a.correct);
            by_student[s].push(TimedAnswer {
                week: a.week,
                item: i,
                correct: a.correct,
            });
        }
        let Some(responses) = Responses::new(index.items.len(), matrix) else {
            continue;
        };
        let fit = irt::fit(&responses, Model::TwoPl);
        let items: Vec<(f64, f64)> = fit
            .items
            .iter()
            .map(|e| (e.difficulty, e.discrimination))
            .collect();
        let choice = mastery::choose_drift(&items, &by_student);
        let step = by_student.len().div_ceil(mastery::CHOICE_STUDENTS).max(1);
        let sample: Vec<&Vec<TimedAnswer>> = by_student.iter().step_by(step).collect();
        let bkt = bkt::fit(&sample).forecast(&sample);
        let n = choice.chosen.answers;
        total += n;
        for (sum, f) in sums.iter_mut().zip([choice.chosen, choice.fixed, bkt]) {
            sum.0 += f.log_loss * n as f64;
            sum.1 += f.auc * n as f64;
        }
    }
    let mean = |(loss, auc): (f64, f64)| {
        let n = total.max(1) as f64;
        (loss / n, auc / n)
    };
    WeeklyForecasts {
        answers: total,
        irt_drift: mean(sums[0]),
        irt_static: mean(sums[1]),
        bkt: mean(sums[2]),
    }
}

/// Area under the ROC curve: the chance that a random right answer scores above
/// a random wrong one (ties count half). 0.5 when one class is absent.
pub fn auc(scored: &mut [(f64, bool)]) -> f64 {
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = scored.iter().filter(|(_, y)| *y).count() as f64;
    let negatives = scored.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return 0.5;
    }
    // Sum of the positives' ranks, ties given their average rank.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < scored.len() {
        let mut end = start;
        while end < scored.len() && scored[end].0 == scored[start].0 {
            end += 1;
        }
        let average_rank = (start + end + 1) as f64 / 2.0;
        let tied_positives = scored[start..end].iter().filter(|(_, y)| *y).count() as f64;
        rank_sum += average_rank * tied_positives;
        start = end;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ordered_pairs_and_half_ties() {
        let mut perfect = vec![(0.1, false), (0.9, true), (0.8, true), (0.2, false)];
        assert_eq!(auc(&mut perfect), 1.0);
        let mut reversed = vec![(0.9, false), (0.1, true)];
        assert_eq!(auc(&mut reversed), 0.0);
        let mut tied = vec![(0.5, false), (0.5, true)];
        assert_eq!(auc(&mut tied), 0.5);
        // 2 positives x 2 negatives: pairs (0.6>0.4), (0.6>0.3), (0.35<0.4), (0.35>0.3) = 3/4.
        let mut mixed = vec![(0.6, true), (0.35, true), (0.4, false), (0.3, false)];
        assert_eq!(auc(&mut mixed), 0.75);
        assert_eq!(auc(&mut [(0.3, true)]), 0.5);
    }
}

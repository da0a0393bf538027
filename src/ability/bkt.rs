//! Bayesian knowledge tracing, the usual alternative to weekly IRT for mastery
//! over time: a skill is known or not; a student who does not know it may
//! learn it at each answer, one who knows it may forget; a known skill is
//! answered wrongly by a slip, an unknown one rightly by a guess. Here only to
//! be compared with [`super::mastery`] on the same weekly forecasts: it
//! ignores how hard each item is, which the 2PL knows.

use serde::Serialize;

use super::mastery::{Forecast, TimedAnswer};

/// Probabilities: known at the start, learning, forgetting, guessing, slipping.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bkt {
    pub known: f64,
    pub learn: f64,
    pub forget: f64,
    pub guess: f64,
    pub slip: f64,
}

impl Default for Bkt {
    fn default() -> Self {
        Bkt {
            known: 0.5,
            learn: 0.1,
            forget: 0.0,
            guess: 0.2,
            slip: 0.1,
        }
    }
}

/// The values each parameter may take while fitting: guess and slip stay
/// under one half, or "known" and "unknown" could swap meanings.
const KNOWN: [f64; 9] = [0.05, 0.15, 0.25, 0.35, 0.5, 0.65, 0.75, 0.85, 0.95];
const LEARN: [f64; 9] = [0.0, 0.01, 0.02, 0.05, 0.08, 0.12, 0.18, 0.25, 0.35];
const FORGET: [f64; 5] = [0.0, 0.01, 0.03, 0.06, 0.1];
const GUESS_SLIP: [f64; 9] = [0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.49];

impl Bkt {
    fn right(&self, known: f64) -> f64 {
        known * (1.0 - self.slip) + (1.0 - known) * self.guess
    }

    /// P(known) after seeing one answer, then one chance to learn or forget.
    fn update(&self, known: f64, correct: bool) -> f64 {
        let seen = if correct {
            known * (1.0 - self.slip) / self.right(known)
        } else {
            known * self.slip / (1.0 - self.right(known))
        };
        seen * (1.0 - self.forget) + (1.0 - seen) * self.learn
    }

    /// Log likelihood of each student's answers in order, each predicted
    /// from all before it: what fitting maximises.
    pub fn log_likelihood(&self, students: &[&Vec<TimedAnswer>]) -> f64 {
        let mut total = 0.0;
        for answers in students {
            let mut known = self.known;
            for a in sorted(answers) {
                let p = self.right(known).clamp(1e-9, 1.0 - 1e-9);
                total += if a.correct { p.ln() } else { (1.0 - p).ln() };
                known = self.update(known, a.correct);
            }
        }
        total
    }

    /// Forecasts each week's answers from the weeks before, as
    /// [`super::mastery::forecast_with`] does: P(known) after the earlier
    /// weeks, the week's own answers unseen (but each a chance to learn).
    pub fn forecast(&self, students: &[&Vec<TimedAnswer>]) -> Forecast {
        let mut forecasts = Vec::new();
        for answers in students {
            let answers = sorted(answers);
            let mut known = self.known;
            let mut start = 0;
            while start < answers.len() {
                let week = answers[start].week;
                let end = start + answers[start..].partition_point(|a| a.week == week);
                let mut unseen = known;
                for a in &answers[start..end] {
                    if start > 0 {
                        forecasts.push((self.right(unseen).clamp(1e-9, 1.0 - 1e-9), a.correct));
                    }
                    unseen = unseen * (1.0 - self.forget) + (1.0 - unseen) * self.learn;
                }
                for a in &answers[start..end] {
                    known = self.update(known, a.correct);
                }
                start = end;
            }
        }
        Forecast::score(0.0, &mut forecasts)
    }
}

fn sorted(answers: &[TimedAnswer]) -> Vec<TimedAnswer> {
    let mut sorted = answers.to_vec();
    sorted.sort_by_key(|a| a.week);
    sorted
}

/// Fits one skill's parameters by maximum likelihood, one parameter at a time
/// over its grid until none moves (at most 20 rounds).
pub fn fit(students: &[&Vec<TimedAnswer>]) -> Bkt {
    let mut best = Bkt::default();
    let mut best_ll = best.log_likelihood(students);
    for _ in 0..20 {
        let mut moved = false;
        for parameter in 0..5 {
            let grid: &[f64] = match parameter {
                0 => &KNOWN,
                1 => &LEARN,
                2 => &FORGET,
                _ => &GUESS_SLIP,
            };
            for &value in grid {
                let mut candidate = best;
                match parameter {
                    0 => candidate.known = value,
                    1 => candidate.learn = value,
                    2 => candidate.forget = value,
                    3 => candidate.guess = value,
                    _ => candidate.slip = value,
                }
                let ll = candidate.log_likelihood(students);
                if ll > best_ll + 1e-9 {
                    (best, best_ll, moved) = (candidate, ll, true);
                }
            }
        }
        if !moved {
            break;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn the_fit_finds_the_parameters_that_made_the_answers() {
        let truth = Bkt {
            known: 0.25,
            learn: 0.12,
            forget: 0.0,
            guess: 0.2,
            slip: 0.1,
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let students: Vec<Vec<TimedAnswer>> = (0..400)
            .map(|_| {
                let mut known = rng.random::<f64>() < truth.known;
                (0..20)
                    .map(|i| {
                        let p = if known { 1.0 - truth.slip } else { truth.guess };
                        let correct = rng.random::<f64>() < p;
                        known = known || rng.random::<f64>() < truth.learn;
                        TimedAnswer {
                            week: i / 2,
                            item: 0,
                            correct,
                        }
                    })
                    .collect()
            })
            .collect();
        let refs: Vec<&Vec<TimedAnswer>> = students.iter().collect();
        let fitted = fit(&refs);
        assert!((fitted.known - truth.known).abs() <= 0.11, "{fitted:?}");
        assert!((fitted.learn - truth.learn).abs() <= 0.05, "{fitted:?}");
        assert!((fitted.guess - truth.guess).abs() <= 0.06, "{fitted:?}");
        assert!((fitted.slip - truth.slip).abs() <= 0.06, "{fitted:?}");
        assert!(fitted.log_likelihood(&refs) >= truth.log_likelihood(&refs));
        let f = fitted.forecast(&refs);
        assert_eq!(f.answers, 400 * 18);
        assert!(f.auc > 0.6 && f.log_loss.is_finite(), "{f:?}");
        assert_eq!(fit(&[]), Bkt::default());
    }
}

//! Why the system thinks what it thinks of a student in a skill: the answers
//! that moved the estimate most, each with its item's difficulty and how
//! surprising it was, in words a teacher can check against what they know.

use serde::Serialize;

use super::irt::{self, ScoredAnswer};
use super::mastery::{Direction, Trend};
use crate::store::ability::{StudentAnswer, StudentSkill};

/// One answer's part in an estimate.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Evidence {
    pub item_id: String,
    pub correct: bool,
    pub difficulty: f64,
    /// What the model expected: P(right) at the estimate.
    pub expected: f64,
    /// How far the estimate moves because of this answer (estimate with it
    /// less estimate without it).
    pub shift: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Explanation {
    pub theta: f64,
    pub sd: f64,
    pub answered: usize,
    pub right: usize,
    /// The answers that moved the estimate most, strongest first (at most 3).
    pub evidence: Vec<Evidence>,
    /// Whether the ability changed during the term.
    pub trend: Option<Trend>,
    pub summary: String,
}

/// Every skill's explanation for one student, from what the store holds.
pub fn student(
    skills: &[StudentSkill],
    answers: &[StudentAnswer],
    trends: &[(String, Trend)],
) -> Vec<Explanation> {
    skills
        .iter()
        .map(|s| {
            let evidence: Vec<(String, ScoredAnswer)> = answers
                .iter()
                .filter(|a| a.skill_id == s.skill_id)
                .map(|a| {
                    let scored = ScoredAnswer {
                        difficulty: a.difficulty,
                        discrimination: a.discrimination,
                        correct: a.correct,
                    };
                    (a.item_id.clone(), scored)
                })
                .collect();
            let trend = trends
                .iter()
                .find(|(skill_id, _)| *skill_id == s.skill_id)
                .map(|(_, t)| *t);
            explain(&s.skill, s.class_mean, &evidence, trend)
        })
        .collect()
}

/// Answers the strongest evidence lists.
const SHOWN: usize = 3;

/// `answers` are the student's (item id, scored answer) in the skill; the
/// estimate is recomputed from them (the same as the stored one).
pub fn explain(
    skill: &str,
    class_mean: f64,
    answers: &[(String, ScoredAnswer)],
    trend: Option<Trend>,
) -> Explanation {
    let scored: Vec<ScoredAnswer> = answers.iter().map(|(_, a)| *a).collect();
    let (estimate, without) = irt::eap_leave_one_out(&scored);
    let mut evidence: Vec<Evidence> = answers
        .iter()
        .zip(&without)
        .map(|((item_id, answer), without)| Evidence {
            item_id: item_id.clone(),
            correct: answer.correct,
            difficulty: answer.difficulty,
            expected: irt::p_right(answer, estimate.theta),
            shift: estimate.theta - without.theta,
        })
        .collect();
    evidence.sort_by(|a, b| b.shift.abs().total_cmp(&a.shift.abs()));
    evidence.truncate(SHOWN);
    let right = answers.iter().filter(|(_, a)| a.correct).count();
    let mut summary = summary(
        skill,
        estimate.theta,
        estimate.sd,
        class_mean,
        answers.len(),
        right,
        &evidence,
    );
    if let Some(text) = trend.and_then(|t| trend_words(&t)) {
        summary.push_str("; ");
        summary.push_str(&text);
    }
    Explanation {
        theta: estimate.theta,
        sd: estimate.sd,
        answered: answers.len(),
        right,
        evidence,
        trend,
        summary,
    }
}

/// "down since week 6 (0.8 before, 0.1 since)"; nothing when steady. Weeks
/// are counted from 1, as teachers do.
pub fn trend_words(t: &Trend) -> Option<String> {
    let direction = match t.direction {
        Direction::Rising => "up",
        Direction::Falling => "down",
        Direction::Steady => return None,
    };
    Some(format!(
        "{direction} since week {} ({} before, {} since)",
        t.since_week + 1,
        tenths(t.from),
        tenths(t.to)
    ))
}

fn summary(
    skill: &str,
    theta: f64,
    sd: f64,
    class_mean: f64,
    answered: usize,
    right: usize,
    evidence: &[Evidence],
) -> String {
    // "Above" only when the class mean lies outside the student's interval.
    let versus = if theta - sd > class_mean {
        "above the class average"
    } else if theta + sd < class_mean {
        "below the class average"
    } else {
        "close to the class average"
    };
    let certainty = if sd > 0.8 {
        ", little evidence yet"
    } else {
        ""
    };
    let mut text = format!(
        "{skill}: {} ± {sd:.1}, {versus} ({}){certainty}; rests on {answered} answers, {right} right",
        tenths(theta),
        tenths(class_mean)
    );
    if let Some(top) = evidence.first() {
        let hardness = match top.difficulty {
            d if d > 1.0 => "a hard item",
            d if d < -1.0 => "an easy item",
            _ => "an item of middling difficulty",
        };
        let outcome = if top.correct { "right on" } else { "wrong on" };
        let surprise =
            if (top.correct && top.expected < 0.35) || (!top.correct && top.expected > 0.65) {
                ", which surprised the model"
            } else {
                ""
            };
        text.push_str(&format!(
            "; strongest evidence: {outcome} {hardness} ({}, difficulty {}){surprise}",
            top.item_id,
            tenths(top.difficulty)
        ));
    }
    text
}

/// One decimal, without a "-0.0".
fn tenths(x: f64) -> String {
    let text = format!("{x:.1}");
    if text == "-0.0" { "0.0".into() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(difficulty: f64, correct: bool) -> ScoredAnswer {
        ScoredAnswer {
            difficulty,
            discrimination: 1.5,
            correct,
        }
    }

    #[test]
    fn a_hard_item_answered_right_is_the_strongest_evidence() {
        let answers = vec![
            ("easy".to_string(), answer(-1.5, true)),
            ("middle".to_string(), answer(0.0, true)),
            ("hard".to_string(), answer(2.0, true)),
            ("middle2".to_string(), answer(0.2, false)),
        ];
        let e = explain("Fractions", -0.2, &answers, None);
        assert_eq!(e.answered, 4);
        assert_eq!(e.right, 3);
        assert_eq!(e.evidence[0].item_id, "hard");
        assert!(e.evidence[0].shift > 0.0);
        // The wrong answer pulls the estimate down.
        let wrong = e.evidence.iter().find(|x| x.item_id == "middle2");
        assert!(wrong.is_none_or(|w| w.shift < 0.0));
        assert!(e.summary.starts_with("Fractions: "), "{}", e.summary);
        assert!(
            e.summary.contains("rests on 4 answers, 3 right"),
            "{}",
            e.summary
        );
        assert!(
            e.summary
                .contains("strongest evidence: right on a hard item (hard"),
            "{}",
            e.summary
        );
    }

    #[test]
    fn a_trend_ends_the_summary() {
        let fall = Trend {
            direction: Direction::Falling,
            since_week: 5,
            from: 0.84,
            to: 0.06,
            evidence: 12.0,
        };
        let answers = vec![("i1".to_string(), answer(0.0, true))];
        let e = explain("Fractions", 0.0, &answers, Some(fall));
        assert!(
            e.summary
                .ends_with("; down since week 6 (0.8 before, 0.1 since)"),
            "{}",
            e.summary
        );
        let steady = Trend {
            direction: Direction::Steady,
            ..fall
        };
        assert_eq!(trend_words(&steady), None);
    }

    #[test]
    fn tenths_never_say_minus_zero() {
        assert_eq!(tenths(-0.03), "0.0");
        assert_eq!(tenths(-0.06), "-0.1");
        assert_eq!(tenths(1.25), "1.2");
    }

    #[test]
    fn no_answers_means_the_prior_and_no_evidence() {
        let e = explain("Fractions", 0.0, &[], None);
        assert!(e.theta.abs() < 1e-9 && (e.sd - 1.0).abs() < 1e-3);
        assert!(e.evidence.is_empty());
        assert!(e.summary.contains("little evidence yet"), "{}", e.summary);
    }
}

//! At-risk flags: a few transparent rules, each with its reason in words, so
//! that a teacher can check every flag against what they know of the student.
//!
//! - **low ability**: in at least two skills, even the top of the interval
//!   (estimate + 1 SD) lies more than one SD of the school below its average.
//!   A wide interval never fires it: little evidence is not low ability. One
//!   weak skill is a gap the student view shows, not a student at risk.
//! - **falling**: the answers say the student's ability in a skill dropped
//!   (see [`super::mastery::Tracker::trend`]).
//! - **disengaged**: over the last weeks of the data the student watched and
//!   answered less than a third of what they did in their first weeks, or
//!   nothing at all.

use serde::Serialize;

use super::mastery::Direction;

/// The top of the interval must lie below this for "low ability".
pub const LOW_ABILITY: f64 = -1.0;
/// Skills that must be clearly low for the student to be flagged.
pub const LOW_SKILLS: usize = 2;
/// The recent window, in weeks, ending with the data's last week.
pub const RECENT_WEEKS: u32 = 3;
/// The student's first weeks, that a drop is measured against: measured
/// against all of the past, a student who faded early looks like their own norm.
pub const HISTORY_WEEKS: u32 = 4;
/// Recent activity per week, as a share of the earlier weekly mean, under which
/// a student counts as disengaged (for minutes watched and answers alike).
pub const DROP_SHARE: f64 = 1.0 / 3.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    LowAbility,
    Falling,
    Disengaged,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::LowAbility => "low_ability",
            Rule::Falling => "falling",
            Rule::Disengaged => "disengaged",
        }
    }
}

/// A student's standing in one skill, as the rules read it.
#[derive(Debug, Clone, PartialEq)]
pub struct SkillStanding {
    pub skill_id: String,
    pub skill: String,
    pub theta: f64,
    pub sd: f64,
    pub answered: i32,
    pub direction: Option<Direction>,
    /// The trend's first week after the change, counted from 0.
    pub since_week: Option<u32>,
    pub from: Option<f64>,
    pub to: Option<f64>,
}

/// A student's activity: weekly totals before the recent window and within it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Activity {
    /// Weeks from the student's first active week to the window, at most
    /// [`HISTORY_WEEKS`] (0 when they started within it or did nothing).
    pub weeks_before: u32,
    pub minutes_before: f64,
    pub answers_before: f64,
    pub minutes_recent: f64,
    pub answers_recent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub rule: Rule,
    pub skill_id: Option<String>,
    pub reason: String,
}

/// Every rule that fires for one student, low abilities weakest first.
pub fn flags(skills: &[SkillStanding], activity: &Activity) -> Vec<Flag> {
    let mut out = Vec::new();
    let mut low: Vec<&SkillStanding> = skills
        .iter()
        .filter(|s| s.theta + s.sd < LOW_ABILITY)
        .collect();
    low.sort_by(|a, b| a.theta.total_cmp(&b.theta));
    if low.len() < LOW_SKILLS {
        low.clear();
    }
    for s in low {
        out.push(Flag {
            rule: Rule::LowAbility,
            skill_id: Some(s.skill_id.clone()),
            reason: format!(
                "{}: {:.1} ± {:.1}, clearly below the school average (0) on {} answers",
                s.skill, s.theta, s.sd, s.answered
            ),
        });
    }
    for s in skills {
        if let (Some(Direction::Falling), Some(week), Some(from), Some(to)) =
            (s.direction, s.since_week, s.from, s.to)
        {
            out.push(Flag {
                rule: Rule::Falling,
                skill_id: Some(s.skill_id.clone()),
                reason: format!(
                    "{}: down since week {} ({from:.1} before, {to:.1} since)",
                    s.skill,
                    week + 1
                ),
            });
        }
    }
    if let Some(reason) = disengagement(activity) {
        out.push(Flag {
            rule: Rule::Disengaged,
            skill_id: None,
            reason,
        });
    }
    out
}

fn disengagement(a: &Activity) -> Option<String> {
    if a.weeks_before == 0 {
        // Nothing before the window: a newcomer, or nobody at all.
        return (a.minutes_recent == 0.0 && a.answers_recent == 0.0)
            .then(|| "no answers or video watched at all".to_string());
    }
    if a.weeks_before < HISTORY_WEEKS {
        return None;
    }
    let weeks = f64::from(a.weeks_before);
    let (minutes, answers) = (a.minutes_before / weeks, a.answers_before / weeks);
    let recent = f64::from(RECENT_WEEKS);
    let (minutes_now, answers_now) = (a.minutes_recent / recent, a.answers_recent / recent);
    let dropped = |now: f64, before: f64| now <= DROP_SHARE * before;
    if !(dropped(minutes_now, minutes) && dropped(answers_now, answers)) {
        return None;
    }
    if minutes + answers == 0.0 {
        return None;
    }
    Some(format!(
        "last {RECENT_WEEKS} weeks: {minutes_now:.0} min of video and {answers_now:.1} answers a \
         week, against {minutes:.0} min and {answers:.1} in their first {} weeks",
        a.weeks_before
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(theta: f64, sd: f64, direction: Option<Direction>) -> SkillStanding {
        SkillStanding {
            skill_id: format!("s{theta}"),
            skill: "Fractions".into(),
            theta,
            sd,
            answered: 12,
            direction,
            since_week: direction.map(|_| 5),
            from: direction.map(|_| 0.8),
            to: direction.map(|_| 0.1),
        }
    }

    fn active() -> Activity {
        Activity {
            weeks_before: 4,
            minutes_before: 240.0,
            answers_before: 40.0,
            minutes_recent: 150.0,
            answers_recent: 30.0,
        }
    }

    #[test]
    fn low_ability_needs_two_skills_with_narrow_intervals() {
        let confident = flags(&[skill(-1.6, 0.4, None), skill(-1.9, 0.5, None)], &active());
        assert_eq!(confident.len(), 2);
        assert!(confident.iter().all(|f| f.rule == Rule::LowAbility));
        // Weakest first.
        assert!(
            confident[0].reason.starts_with("Fractions: -1.9 ± 0.5"),
            "{}",
            confident[0].reason
        );
        // One weak skill is a gap, not a student at risk.
        assert!(flags(&[skill(-1.6, 0.4, None), skill(0.3, 0.4, None)], &active()).is_empty());
        // Just as low, but on little evidence: no flag.
        assert!(flags(&[skill(-1.6, 0.9, None), skill(-1.7, 0.4, None)], &active()).is_empty());
    }

    #[test]
    fn a_fall_is_dated_in_the_weeks_teachers_count() {
        let f = flags(&[skill(0.2, 0.3, Some(Direction::Falling))], &active());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, Rule::Falling);
        assert_eq!(
            f[0].reason,
            "Fractions: down since week 6 (0.8 before, 0.1 since)"
        );
        assert!(flags(&[skill(0.2, 0.3, Some(Direction::Rising))], &active()).is_empty());
    }

    #[test]
    fn disengagement_compares_a_student_with_their_own_past() {
        assert!(flags(&[], &active()).is_empty());
        let quiet = Activity {
            minutes_recent: 30.0,
            answers_recent: 6.0,
            ..active()
        };
        let f = flags(&[], &quiet);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, Rule::Disengaged);
        assert_eq!(
            f[0].reason,
            "last 3 weeks: 10 min of video and 2.0 answers a week, against 60 min and 10.0 in their \
             first 4 weeks"
        );
        // Still answering as before: watching less alone is not disengagement.
        let reading = Activity {
            answers_recent: 30.0,
            ..quiet
        };
        assert!(flags(&[], &reading).is_empty());
        // Too little history to compare with.
        let newcomer = Activity {
            weeks_before: 2,
            ..quiet
        };
        assert!(flags(&[], &newcomer).is_empty());
        let nobody = Activity::default();
        assert_eq!(flags(&[], &nobody)[0].rule, Rule::Disengaged);
    }
}

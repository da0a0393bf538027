//! The ability stage's data: first attempts in, per-skill item and ability
//! estimates out.

use duckdb::params;

use super::error::DbContext;
use super::{Store, StoreError};
use crate::ability::mastery::{Direction, DriftChoice, Forecast, Trend, WeekEstimate};
use crate::ability::risk::{Activity, SkillStanding};

/// One student's first answer to one item.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstAttempt {
    pub skill_id: String,
    pub student_id: String,
    pub item_id: String,
    pub correct: bool,
    /// Weeks since the data's first week.
    pub week: u32,
}

/// An item's estimates, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    pub item_id: String,
    pub skill_id: String,
    pub difficulty: f64,
    pub difficulty_se: f64,
    pub discrimination: f64,
    pub discrimination_se: f64,
    pub answered: i32,
    pub p_correct: Option<f64>,
    pub infit: Option<f64>,
    pub outfit: Option<f64>,
    pub flags: String,
}

/// A student's ability in one skill, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AbilityRow {
    pub student_id: String,
    pub skill_id: String,
    pub theta: f64,
    pub sd: f64,
    pub answered: i32,
}

/// One skill of a student's ability report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StudentSkill {
    pub skill_id: String,
    pub skill: String,
    pub theta: f64,
    pub sd: f64,
    pub answered: i32,
    /// The mean ability of the student's class in this skill.
    pub class_mean: f64,
}

/// A student's first attempt at an item, with the item's estimated parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct StudentAnswer {
    pub skill_id: String,
    pub item_id: String,
    pub correct: bool,
    pub difficulty: f64,
    pub discrimination: f64,
}

/// A student's estimate in a skill after one week.
#[derive(Debug, Clone, PartialEq)]
pub struct MasteryRow {
    pub student_id: String,
    pub skill_id: String,
    pub week: WeekEstimate,
}

/// A student's trend in a skill.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRow {
    pub student_id: String,
    pub skill_id: String,
    pub trend: Trend,
}

/// A skill's chosen drift and its forecasts.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftRow {
    pub skill_id: String,
    pub choice: DriftChoice,
}

/// Everything one fit of the school writes, replaced together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AbilityTables {
    pub items: Vec<ItemRow>,
    pub abilities: Vec<AbilityRow>,
    pub mastery: Vec<MasteryRow>,
    pub trends: Vec<TrendRow>,
    pub drifts: Vec<DriftRow>,
}

/// One row of the item analysis: an item's estimates beside its skill's name.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemAnalysis {
    pub item_id: String,
    pub skill: String,
    pub difficulty: f64,
    pub difficulty_se: f64,
    pub discrimination: f64,
    pub discrimination_se: f64,
    pub answered: i32,
    pub p_correct: Option<f64>,
    pub infit: Option<f64>,
    pub outfit: Option<f64>,
    /// Comma-separated flag names; empty when the item behaves.
    pub flags: String,
}

/// A stored at-risk flag.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RiskRow {
    pub student_id: String,
    pub rule: String,
    pub skill_id: Option<String>,
    pub reason: String,
}

pub(crate) fn direction(text: &str) -> Direction {
    match text {
        "rising" => Direction::Rising,
        "falling" => Direction::Falling,
        _ => Direction::Steady,
    }
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::Rising => "rising",
        Direction::Falling => "falling",
        Direction::Steady => "steady",
    }
}

/// What the estimates are computed from: the number of answers and the latest time.
pub type AbilitySource = (i64, Option<String>);

fn first_attempt(r: &duckdb::Row<'_>) -> duckdb::Result<FirstAttempt> {
    Ok(FirstAttempt {
        skill_id: r.get(0)?,
        student_id: r.get(1)?,
        item_id: r.get(2)?,
        correct: r.get::<_, u8>(3)? == 1,
        week: r.get(4)?,
    })
}

impl Store {
    /// Every first attempt, sorted by skill, student and item.
    pub fn first_attempts(&self) -> Result<Vec<FirstAttempt>, StoreError> {
        self.rows(
            include_str!("../../queries/ability/first_attempts.sql"),
            [],
            "reading first attempts",
            first_attempt,
        )
    }

    /// The same rows one at a time, so that a district need not hold them all.
    pub fn for_each_first_attempt<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(FirstAttempt) -> Result<(), E>,
    ) -> Result<(), E> {
        let context = "reading first attempts";
        let mut stmt = self
            .conn
            .prepare(include_str!("../../queries/ability/first_attempts.sql"))
            .context(context)?;
        let mut rows = stmt.query([]).context(context)?;
        while let Some(row) = rows.next().context(context)? {
            f(first_attempt(row).context(context)?)?;
        }
        Ok(())
    }

    /// The answers as they are now.
    pub fn ability_source_now(&self) -> Result<AbilitySource, StoreError> {
        let rows = self.rows(
            "SELECT count(*), CAST(max(time) AS VARCHAR) FROM responses",
            [],
            "counting answers",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(rows.into_iter().next().unwrap_or((0, None)))
    }

    /// The answers the stored estimates were computed from, if any.
    pub fn ability_source_stored(&self) -> Result<Option<AbilitySource>, StoreError> {
        let rows = self.rows(
            "SELECT responses, CAST(last_time AS VARCHAR) FROM ability_source",
            [],
            "reading when abilities were fitted",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(rows.into_iter().next())
    }

    /// Replaces every estimate in one transaction.
    pub fn save_abilities(
        &mut self,
        tables: &AbilityTables,
        source: &AbilitySource,
    ) -> Result<(), StoreError> {
        let context = "storing ability estimates";
        self.require_write(context)?;
        let tx = self.conn.transaction().context(context)?;
        tx.execute_batch(
            "DELETE FROM item_estimates; DELETE FROM ability_estimates; DELETE FROM ability_source;
             DELETE FROM mastery; DELETE FROM ability_trends; DELETE FROM mastery_drift;",
        )
        .context(context)?;
        {
            let mut appender = tx.appender("item_estimates").context(context)?;
            for i in &tables.items {
                appender
                    .append_row(params![
                        i.item_id,
                        i.skill_id,
                        i.difficulty,
                        i.difficulty_se,
                        i.discrimination,
                        i.discrimination_se,
                        i.answered,
                        i.p_correct,
                        i.infit,
                        i.outfit,
                        i.flags
                    ])
                    .context(context)?;
            }
            appender.flush().context(context)?;
            let mut appender = tx.appender("ability_estimates").context(context)?;
            for a in &tables.abilities {
                appender
                    .append_row(params![a.student_id, a.skill_id, a.theta, a.sd, a.answered])
                    .context(context)?;
            }
            appender.flush().context(context)?;
            let mut appender = tx.appender("mastery").context(context)?;
            for m in &tables.mastery {
                let w = &m.week;
                appender
                    .append_row(params![
                        m.student_id,
                        m.skill_id,
                        w.week,
                        w.theta,
                        w.sd,
                        i64::try_from(w.answered).unwrap_or(i64::MAX)
                    ])
                    .context(context)?;
            }
            appender.flush().context(context)?;
            let mut appender = tx.appender("ability_trends").context(context)?;
            for t in &tables.trends {
                let trend = &t.trend;
                appender
                    .append_row(params![
                        t.student_id,
                        t.skill_id,
                        direction_name(trend.direction),
                        trend.since_week,
                        trend.from,
                        trend.to,
                        trend.evidence
                    ])
                    .context(context)?;
            }
            appender.flush().context(context)?;
            let mut appender = tx.appender("mastery_drift").context(context)?;
            for d in &tables.drifts {
                let (chosen, fixed) = (&d.choice.chosen, &d.choice.fixed);
                appender
                    .append_row(params![
                        d.skill_id,
                        chosen.drift,
                        i64::try_from(chosen.answers).unwrap_or(i64::MAX),
                        chosen.log_loss,
                        chosen.auc,
                        fixed.log_loss,
                        fixed.auc
                    ])
                    .context(context)?;
            }
            appender.flush().context(context)?;
        }
        tx.execute(
            "INSERT INTO ability_source VALUES (?, CAST(? AS TIMESTAMP), current_timestamp::TIMESTAMP)",
            params![source.0, source.1],
        )
        .context(context)?;
        tx.commit().context(context)
    }

    /// Every student's standing per skill (ability and trend), by student.
    pub fn risk_standings(&self) -> Result<Vec<(String, SkillStanding)>, StoreError> {
        self.rows(
            include_str!("../../queries/ability/risk_standings.sql"),
            [],
            "reading abilities and trends for the at-risk rules",
            |r| {
                Ok((
                    r.get(0)?,
                    SkillStanding {
                        skill_id: r.get(1)?,
                        skill: r.get(2)?,
                        theta: r.get(3)?,
                        sd: r.get(4)?,
                        answered: r.get(5)?,
                        direction: r.get::<_, Option<String>>(6)?.map(|d| direction(&d)),
                        since_week: r.get(7)?,
                        from: r.get(8)?,
                        to: r.get(9)?,
                    },
                ))
            },
        )
    }

    /// Every student's activity in their first `history_weeks` and within
    /// the data's last `recent_weeks` (students with none have zeros).
    pub fn risk_activity(
        &self,
        history_weeks: u32,
        recent_weeks: u32,
    ) -> Result<Vec<(String, Activity)>, StoreError> {
        self.rows(
            include_str!("../../queries/ability/risk_activity.sql"),
            params![recent_weeks, history_weeks, history_weeks, history_weeks],
            "reading weekly activity for the at-risk rules",
            |r| {
                Ok((
                    r.get(0)?,
                    Activity {
                        weeks_before: r.get(1)?,
                        minutes_before: r.get(2)?,
                        answers_before: r.get(3)?,
                        minutes_recent: r.get(4)?,
                        answers_recent: r.get(5)?,
                    },
                ))
            },
        )
    }

    /// Replaces every at-risk flag in one transaction.
    pub fn save_risk_flags(&mut self, flags: &[RiskRow]) -> Result<(), StoreError> {
        let context = "storing at-risk flags";
        self.require_write(context)?;
        let tx = self.conn.transaction().context(context)?;
        tx.execute_batch("DELETE FROM risk_flags;")
            .context(context)?;
        {
            let mut appender = tx.appender("risk_flags").context(context)?;
            for f in flags {
                appender
                    .append_row(params![f.student_id, f.rule, f.skill_id, f.reason])
                    .context(context)?;
            }
            appender.flush().context(context)?;
        }
        tx.commit().context(context)
    }

    /// A student's at-risk flags.
    pub fn student_risk(&self, student_id: &str) -> Result<Vec<RiskRow>, StoreError> {
        self.rows(
            "SELECT student_id, rule, skill_id, reason FROM risk_flags WHERE student_id = ? \
             ORDER BY rule, reason",
            params![student_id],
            "reading a student's at-risk flags",
            |r| {
                Ok(RiskRow {
                    student_id: r.get(0)?,
                    rule: r.get(1)?,
                    skill_id: r.get(2)?,
                    reason: r.get(3)?,
                })
            },
        )
    }

    /// A student's weekly estimates, by skill then week.
    pub fn student_mastery(
        &self,
        student_id: &str,
    ) -> Result<Vec<(String, WeekEstimate)>, StoreError> {
        self.rows(
            "SELECT skill_id, week, theta, sd, answered FROM mastery WHERE student_id = ? \
             ORDER BY skill_id, week",
            params![student_id],
            "reading a student's mastery over time",
            |r| {
                Ok((
                    r.get(0)?,
                    WeekEstimate {
                        week: r.get(1)?,
                        theta: r.get(2)?,
                        sd: r.get(3)?,
                        answered: r.get::<_, u32>(4)? as usize,
                    },
                ))
            },
        )
    }

    /// A student's trend per skill.
    pub fn student_trends(&self, student_id: &str) -> Result<Vec<(String, Trend)>, StoreError> {
        self.rows(
            "SELECT skill_id, direction, since_week, from_theta, to_theta, evidence \
             FROM ability_trends WHERE student_id = ? ORDER BY skill_id",
            params![student_id],
            "reading a student's trends",
            |r| {
                Ok((
                    r.get(0)?,
                    Trend {
                        direction: direction(&r.get::<_, String>(1)?),
                        since_week: r.get(2)?,
                        from: r.get(3)?,
                        to: r.get(4)?,
                        evidence: r.get(5)?,
                    },
                ))
            },
        )
    }

    /// Every item's estimates for the item analysis, flagged items first.
    pub fn item_analysis(&self) -> Result<Vec<ItemAnalysis>, StoreError> {
        self.rows(
            include_str!("../../queries/ability/item_analysis.sql"),
            [],
            "reading the item analysis",
            |r| {
                Ok(ItemAnalysis {
                    item_id: r.get(0)?,
                    skill: r.get(1)?,
                    difficulty: r.get(2)?,
                    difficulty_se: r.get(3)?,
                    discrimination: r.get(4)?,
                    discrimination_se: r.get(5)?,
                    answered: r.get(6)?,
                    p_correct: r.get(7)?,
                    infit: r.get(8)?,
                    outfit: r.get(9)?,
                    flags: r.get(10)?,
                })
            },
        )
    }

    /// The skills' drifts and how their forecasts did.
    pub fn mastery_drifts(&self) -> Result<Vec<DriftRow>, StoreError> {
        self.rows(
            "SELECT skill_id, drift, forecast_answers, log_loss, auc, static_log_loss, static_auc \
             FROM mastery_drift ORDER BY skill_id",
            [],
            "reading the skills' drifts",
            |r| {
                let answers = r.get::<_, i64>(2)?.max(0) as usize;
                Ok(DriftRow {
                    skill_id: r.get(0)?,
                    choice: DriftChoice {
                        chosen: Forecast {
                            drift: r.get(1)?,
                            answers,
                            log_loss: r.get(3)?,
                            auc: r.get(4)?,
                        },
                        fixed: Forecast {
                            drift: 0.0,
                            answers,
                            log_loss: r.get(5)?,
                            auc: r.get(6)?,
                        },
                    },
                })
            },
        )
    }

    /// A student's first attempts with their items' parameters.
    pub fn student_answers(&self, student_id: &str) -> Result<Vec<StudentAnswer>, StoreError> {
        self.rows(
            include_str!("../../queries/ability/student_answers.sql"),
            params![student_id],
            "reading a student's answers",
            |r| {
                Ok(StudentAnswer {
                    skill_id: r.get(0)?,
                    item_id: r.get(1)?,
                    correct: r.get::<_, u8>(2)? == 1,
                    difficulty: r.get(3)?,
                    discrimination: r.get(4)?,
                })
            },
        )
    }

    /// A student's abilities, skill by skill, beside their class's mean.
    pub fn student_abilities(&self, student_id: &str) -> Result<Vec<StudentSkill>, StoreError> {
        self.rows(
            include_str!("../../queries/ability/student_abilities.sql"),
            params![student_id],
            "reading a student's abilities",
            |r| {
                Ok(StudentSkill {
                    skill_id: r.get(0)?,
                    skill: r.get(1)?,
                    theta: r.get(2)?,
                    sd: r.get(3)?,
                    answered: r.get(4)?,
                    class_mean: r.get(5)?,
                })
            },
        )
    }
}

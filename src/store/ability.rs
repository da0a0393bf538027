//! The ability stage's data: first attempts in, per-skill item and ability
//! estimates out.

use duckdb::params;

use super::error::DbContext;
use super::{Store, StoreError};

/// One student's first answer to one item.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstAttempt {
    pub skill_id: String,
    pub student_id: String,
    pub item_id: String,
    pub correct: bool,
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

/// What the estimates are computed from: the number of answers and the latest time.
pub type AbilitySource = (i64, Option<String>);

fn first_attempt(r: &duckdb::Row<'_>) -> duckdb::Result<FirstAttempt> {
    Ok(FirstAttempt {
        skill_id: r.get(0)?,
        student_id: r.get(1)?,
        item_id: r.get(2)?,
        correct: r.get::<_, u8>(3)? == 1,
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
        items: &[ItemRow],
        abilities: &[AbilityRow],
        source: &AbilitySource,
    ) -> Result<(), StoreError> {
        let context = "storing ability estimates";
        self.require_write(context)?;
        let tx = self.conn.transaction().context(context)?;
        tx.execute_batch(
            "DELETE FROM item_estimates; DELETE FROM ability_estimates; DELETE FROM ability_source;",
        )
        .context(context)?;
        {
            let mut appender = tx.appender("item_estimates").context(context)?;
            for i in items {
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
            for a in abilities {
                appender
                    .append_row(params![a.student_id, a.skill_id, a.theta, a.sd, a.answered])
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

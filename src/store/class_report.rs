//! What a class report reads (`queries/class_report/*.sql`): one query per table,
//! each for the whole class at once, so that a school's report costs a few
//! queries per class rather than per student.

use duckdb::params;

use super::ability::{RiskRow, StudentAnswer, direction};
use super::recommend::{StudentStep, StudentSuggestion, SuggestedResource};
use super::{Store, StoreError};
use crate::ability::mastery::{Trend, WeekEstimate};

macro_rules! sql {
    ($name:literal) => {
        include_str!(concat!("../../queries/class_report/", $name, ".sql"))
    };
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClassRow {
    pub class_id: String,
    pub name: String,
    pub grade: String,
    pub teacher: String,
    pub students: i64,
}

/// The data's span and the report's first week.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportSpan {
    /// The first Monday with answers or views (YYYY-MM-DD).
    pub first_week: Option<String>,
    /// The last answer or view.
    pub as_of: Option<String>,
    /// The week `--since` falls in, counted from `first_week` (0: the whole term).
    pub from_week: i32,
}

/// One student's line of the roster, over the report's period.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    pub student_id: String,
    pub name: String,
    pub answers: u64,
    pub correct: u64,
    pub minutes: f64,
    pub last_active: Option<String>,
    pub active_weeks: u32,
    /// Mean ability over the skills answered, and the SD of that mean.
    pub theta: Option<f64>,
    pub sd: Option<f64>,
    pub skills: u32,
    pub risk_rules: u32,
    /// Mean P(positive) - P(negative) of their scored comments.
    pub mood: Option<f64>,
    pub comments: u32,
}

/// One student's ability in one skill.
#[derive(Debug, Clone, PartialEq)]
pub struct AbilityCell {
    pub student_id: String,
    pub skill_id: String,
    pub skill: String,
    pub theta: f64,
    pub sd: f64,
    pub answered: i32,
    /// Expected share right on the skill's items at the estimate.
    pub expected_right: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EngagementWeek {
    /// The Monday (YYYY-MM-DD).
    pub week: String,
    pub week_index: i32,
    /// Students with an answer or a view that week.
    pub active: u64,
    pub answers: u64,
    pub correct: u64,
    pub minutes_watched: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SentimentWeek {
    pub week: String,
    pub comments: u64,
    /// Students who wrote them.
    pub writers: u64,
    pub negative: u64,
    pub neutral: u64,
    pub positive: u64,
    /// Mean P(positive) - P(negative), -1..1.
    pub mood: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InterestRow {
    pub student_id: String,
    pub skill: String,
    pub weight: f64,
    pub comments: i32,
    pub searches: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommentRow {
    pub student_id: String,
    pub time: String,
    pub resource: String,
    pub text: String,
    pub sentiment: Option<String>,
}

/// Everything a class report shows, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassData {
    pub class: ClassRow,
    pub span: ReportSpan,
    pub roster: Vec<RosterRow>,
    pub abilities: Vec<AbilityCell>,
    /// (student id, answer).
    pub answers: Vec<(String, StudentAnswer)>,
    /// (student id, skill id, trend).
    pub trends: Vec<(String, String, Trend)>,
    /// (student id, skill id, week's estimate), from the report's first week.
    pub mastery: Vec<(String, String, WeekEstimate)>,
    pub engagement: Vec<EngagementWeek>,
    pub sentiment: Vec<SentimentWeek>,
    pub risk: Vec<RiskRow>,
    pub interests: Vec<InterestRow>,
    pub suggestions: Vec<(String, StudentSuggestion)>,
    pub paths: Vec<(String, StudentStep)>,
    pub suggested_most: Vec<SuggestedResource>,
    /// Empty unless asked for.
    pub comments: Vec<CommentRow>,
}

impl Store {
    /// Every class, with its student count.
    pub fn report_classes(&self) -> Result<Vec<ClassRow>, StoreError> {
        self.rows(sql!("classes"), [], "reading the classes", class_row)
    }

    /// One class's report data from the week of `since` (YYYY-MM-DD; None:
    /// the whole term); None when there is no such class.
    pub fn class_report_data(
        &self,
        class_id: &str,
        since: Option<&str>,
        with_comments: bool,
    ) -> Result<Option<ClassData>, StoreError> {
        let Some(class) = self
            .rows(
                sql!("class"),
                params![class_id],
                "reading the class",
                class_row,
            )?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let span = self
            .rows(
                sql!("span"),
                params![since],
                "reading the data's span",
                |r| {
                    Ok(ReportSpan {
                        first_week: r.get(0)?,
                        as_of: r.get(1)?,
                        from_week: r.get(2)?,
                    })
                },
            )?
            .into_iter()
            .next()
            .unwrap_or_default();
        let both = params![class_id, since];
        let one = params![class_id];
        Ok(Some(ClassData {
            roster: self.rows(sql!("roster"), both, "reading the roster", |r| {
                Ok(RosterRow {
                    student_id: r.get(0)?,
                    name: r.get(1)?,
                    answers: r.get(2)?,
                    correct: r.get(3)?,
                    minutes: r.get(4)?,
                    last_active: r.get(5)?,
                    active_weeks: r.get(6)?,
                    theta: r.get(7)?,
                    sd: r.get(8)?,
                    skills: r.get(9)?,
                    risk_rules: r.get(10)?,
                    mood: r.get(11)?,
                    comments: r.get(12)?,
                })
            })?,
            abilities: self.rows(sql!("abilities"), one, "reading the abilities", |r| {
                Ok(AbilityCell {
                    student_id: r.get(0)?,
                    skill_id: r.get(1)?,
                    skill: r.get(2)?,
                    theta: r.get(3)?,
                    sd: r.get(4)?,
                    answered: r.get(5)?,
                    expected_right: r.get(6)?,
                })
            })?,
            answers: self.rows(sql!("answers"), one, "reading the answers", |r| {
                Ok((
                    r.get(0)?,
                    StudentAnswer {
                        skill_id: r.get(1)?,
                        item_id: r.get(2)?,
                        correct: r.get::<_, u8>(3)? == 1,
                        difficulty: r.get(4)?,
                        discrimination: r.get(5)?,
                    },
                ))
            })?,
            trends: self.rows(sql!("trends"), one, "reading the trends", |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    Trend {
                        direction: direction(&r.get::<_, String>(2)?),
                        since_week: r.get(3)?,
                        from: r.get(4)?,
                        to: r.get(5)?,
                        evidence: r.get(6)?,
                    },
                ))
            })?,
            mastery: self.rows(
                sql!("mastery"),
                params![class_id, span.from_week],
                "reading mastery over time",
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        WeekEstimate {
                            week: r.get(2)?,
                            theta: r.get(3)?,
                            sd: r.get(4)?,
                            answered: r.get::<_, u32>(5)? as usize,
                        },
                    ))
                },
            )?,
            engagement: self.rows(sql!("engagement"), both, "reading the weeks", |r| {
                Ok(EngagementWeek {
                    week: r.get(0)?,
                    week_index: r.get(1)?,
                    active: r.get(2)?,
                    answers: r.get(3)?,
                    correct: r.get(4)?,
                    minutes_watched: r.get(5)?,
                })
            })?,
            sentiment: self.rows(sql!("sentiment"), both, "reading the sentiment", |r| {
                Ok(SentimentWeek {
                    week: r.get(0)?,
                    comments: r.get(1)?,
                    writers: r.get(2)?,
                    negative: r.get(3)?,
                    neutral: r.get(4)?,
                    positive: r.get(5)?,
                    mood: r.get(6)?,
                })
            })?,
            risk: self.rows(sql!("risk"), one, "reading the at-risk flags", |r| {
                Ok(RiskRow {
                    student_id: r.get(0)?,
                    rule: r.get(1)?,
                    skill_id: r.get(2)?,
                    reason: r.get(3)?,
                })
            })?,
            interests: self.rows(sql!("interests"), one, "reading the interests", |r| {
                Ok(InterestRow {
                    student_id: r.get(0)?,
                    skill: r.get(1)?,
                    weight: r.get(2)?,
                    comments: r.get(3)?,
                    searches: r.get(4)?,
                })
            })?,
            suggestions: self.rows(sql!("suggestions"), one, "reading the suggestions", |r| {
                let reasons: String = r.get(10)?;
                Ok((
                    r.get(0)?,
                    StudentSuggestion {
                        rank: r.get(1)?,
                        resource_id: r.get(2)?,
                        title: r.get(3)?,
                        kind: r.get(4)?,
                        skill: r.get(5)?,
                        score: r.get(6)?,
                        pinned: r.get(7)?,
                        predicted_success: r.get(8)?,
                        mastery: r.get(9)?,
                        reasons: reasons
                            .split("; ")
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect(),
                    },
                ))
            })?,
            paths: self.rows(sql!("paths"), one, "reading the learning paths", |r| {
                Ok((
                    r.get(0)?,
                    StudentStep {
                        step: r.get(1)?,
                        skill_id: r.get(2)?,
                        skill: r.get(3)?,
                        mastery: r.get(4)?,
                        assessed: r.get(5)?,
                        resource_id: r.get(6)?,
                        resource: r.get(7)?,
                        why: r.get(8)?,
                    },
                ))
            })?,
            suggested_most: self.suggested_most(Some(class_id))?,
            comments: if with_comments {
                self.rows(sql!("comments"), both, "reading the comments", |r| {
                    Ok(CommentRow {
                        student_id: r.get(0)?,
                        time: r.get(1)?,
                        resource: r.get(2)?,
                        text: r.get(3)?,
                        sentiment: r.get(4)?,
                    })
                })?
            } else {
                Vec::new()
            },
            class,
            span,
        }))
    }
}

fn class_row(r: &duckdb::Row<'_>) -> duckdb::Result<ClassRow> {
    Ok(ClassRow {
        class_id: r.get(0)?,
        name: r.get(1)?,
        grade: r.get(2)?,
        teacher: r.get(3)?,
        students: r.get(4)?,
    })
}

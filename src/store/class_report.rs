//! What a class report reads (`queries/class_report/*.sql`): one query per table,
//! each for the whole class at once, so that a school's report costs a few
//! queries per class rather than per student.

use std::collections::HashMap;

use duckdb::params;

use super::ability::{RiskRow, StudentAnswer, direction};
use super::recommend::{StudentStep, StudentSuggestion, SuggestedResource, step_at, suggestion_at};
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
    /// ISO 639-1 as the analysis detected it (`und`: none; NULL: not analysed).
    pub language: Option<String>,
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

/// Joins class ids for the queries' `$1` (split again by `string_split`).
const SEPARATOR: &str = "\u{1f}";

impl Store {
    /// Every class, with its student count.
    pub fn report_classes(&self) -> Result<Vec<ClassRow>, StoreError> {
        self.rows(sql!("classes"), [], "reading the classes", class_row)
    }

    /// The report data of each of `class_ids` that is a class, in id order,
    /// from the week of `since` (YYYY-MM-DD; None: the whole term). Each query
    /// runs once for all of them: a school costs a few scans, not a few per class.
    pub fn class_report_data(
        &self,
        class_ids: &[String],
        since: Option<&str>,
        with_comments: bool,
    ) -> Result<Vec<ClassData>, StoreError> {
        let ids = class_ids.join(SEPARATOR);
        let classes = self.rows(
            sql!("class"),
            params![ids],
            "reading the classes",
            class_row,
        )?;
        if classes.is_empty() {
            return Ok(Vec::new());
        }
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
        let mut data: Vec<ClassData> = classes
            .into_iter()
            .map(|class| ClassData {
                class,
                span: span.clone(),
                roster: Vec::new(),
                abilities: Vec::new(),
                answers: Vec::new(),
                trends: Vec::new(),
                mastery: Vec::new(),
                engagement: Vec::new(),
                sentiment: Vec::new(),
                risk: Vec::new(),
                interests: Vec::new(),
                suggestions: Vec::new(),
                paths: Vec::new(),
                suggested_most: Vec::new(),
                comments: Vec::new(),
            })
            .collect();
        let class_at: HashMap<String, usize> = data
            .iter()
            .enumerate()
            .map(|(i, d)| (d.class.class_id.clone(), i))
            .collect();
        let both = params![ids, since];
        let one = params![ids];

        let roster = self.rows(sql!("roster"), both, "reading the roster", |r| {
            Ok((
                r.get::<_, String>(0)?,
                RosterRow {
                    student_id: r.get(1)?,
                    name: r.get(2)?,
                    answers: r.get(3)?,
                    correct: r.get(4)?,
                    minutes: r.get(5)?,
                    last_active: r.get(6)?,
                    active_weeks: r.get(7)?,
                    theta: r.get(8)?,
                    sd: r.get(9)?,
                    skills: r.get(10)?,
                    risk_rules: r.get(11)?,
                    mood: r.get(12)?,
                    comments: r.get(13)?,
                },
            ))
        })?;
        let mut student_at: HashMap<String, usize> = HashMap::new();
        for (class, row) in roster {
            if let Some(&i) = class_at.get(&class) {
                student_at.insert(row.student_id.clone(), i);
                data[i].roster.push(row);
            }
        }
        // Rows of a student go to their class; of a class, to it.
        let by_student = |id: &str| student_at.get(id).copied();
        let by_class = |id: &str| class_at.get(id).copied();

        for row in self.rows(sql!("abilities"), one, "reading the abilities", |r| {
            Ok(AbilityCell {
                student_id: r.get(0)?,
                skill_id: r.get(1)?,
                skill: r.get(2)?,
                theta: r.get(3)?,
                sd: r.get(4)?,
                answered: r.get(5)?,
                expected_right: r.get(6)?,
            })
        })? {
            if let Some(i) = by_student(&row.student_id) {
                data[i].abilities.push(row);
            }
        }
        for (id, answer) in self.rows(sql!("answers"), one, "reading the answers", |r| {
            Ok((
                r.get::<_, String>(0)?,
                StudentAnswer {
                    skill_id: r.get(1)?,
                    item_id: r.get(2)?,
                    correct: r.get::<_, u8>(3)? == 1,
                    difficulty: r.get(4)?,
                    discrimination: r.get(5)?,
                },
            ))
        })? {
            if let Some(i) = by_student(&id) {
                data[i].answers.push((id, answer));
            }
        }
        for (id, skill, trend) in self.rows(sql!("trends"), one, "reading the trends", |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                Trend {
                    direction: direction(&r.get::<_, String>(2)?),
                    since_week: r.get(3)?,
                    from: r.get(4)?,
                    to: r.get(5)?,
                    evidence: r.get(6)?,
                },
            ))
        })? {
            if let Some(i) = by_student(&id) {
                data[i].trends.push((id, skill, trend));
            }
        }
        for (id, skill, week) in self.rows(
            sql!("mastery"),
            params![ids, span.from_week],
            "reading mastery over time",
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    WeekEstimate {
                        week: r.get(2)?,
                        theta: r.get(3)?,
                        sd: r.get(4)?,
                        answered: r.get::<_, u32>(5)? as usize,
                    },
                ))
            },
        )? {
            if let Some(i) = by_student(&id) {
                data[i].mastery.push((id, skill, week));
            }
        }
        for (class, week) in self.rows(sql!("engagement"), both, "reading the weeks", |r| {
            Ok((
                r.get::<_, String>(0)?,
                EngagementWeek {
                    week: r.get(1)?,
                    week_index: r.get(2)?,
                    active: r.get(3)?,
                    answers: r.get(4)?,
                    correct: r.get(5)?,
                    minutes_watched: r.get(6)?,
                },
            ))
        })? {
            if let Some(i) = by_class(&class) {
                data[i].engagement.push(week);
            }
        }
        for (class, week) in self.rows(sql!("sentiment"), both, "reading the sentiment", |r| {
            Ok((
                r.get::<_, String>(0)?,
                SentimentWeek {
                    week: r.get(1)?,
                    comments: r.get(2)?,
                    writers: r.get(3)?,
                    negative: r.get(4)?,
                    neutral: r.get(5)?,
                    positive: r.get(6)?,
                    mood: r.get(7)?,
                },
            ))
        })? {
            if let Some(i) = by_class(&class) {
                data[i].sentiment.push(week);
            }
        }
        for row in self.rows(sql!("risk"), one, "reading the at-risk flags", |r| {
            Ok(RiskRow {
                student_id: r.get(0)?,
                rule: r.get(1)?,
                skill_id: r.get(2)?,
                reason: r.get(3)?,
            })
        })? {
            if let Some(i) = by_student(&row.student_id) {
                data[i].risk.push(row);
            }
        }
        for row in self.rows(sql!("interests"), one, "reading the interests", |r| {
            Ok(InterestRow {
                student_id: r.get(0)?,
                skill: r.get(1)?,
                weight: r.get(2)?,
                comments: r.get(3)?,
                searches: r.get(4)?,
            })
        })? {
            if let Some(i) = by_student(&row.student_id) {
                data[i].interests.push(row);
            }
        }
        for (id, s) in self.rows(sql!("suggestions"), one, "reading the suggestions", |r| {
            Ok((r.get::<_, String>(0)?, suggestion_at(r, 1)?))
        })? {
            if let Some(i) = by_student(&id) {
                data[i].suggestions.push((id, s));
            }
        }
        for (id, step) in self.rows(sql!("paths"), one, "reading the learning paths", |r| {
            Ok((r.get::<_, String>(0)?, step_at(r, 1)?))
        })? {
            if let Some(i) = by_student(&id) {
                data[i].paths.push((id, step));
            }
        }
        for (class, s) in self.rows(
            sql!("suggested"),
            one,
            "reading the suggestions by resource",
            |r| {
                let class: String = r.get(0)?;
                Ok((
                    class.clone(),
                    SuggestedResource {
                        resource_id: r.get(1)?,
                        title: r.get(2)?,
                        kind: r.get(3)?,
                        skill: r.get(4)?,
                        students: r.get(5)?,
                        top3: r.get(6)?,
                        predicted_success: r.get(7)?,
                        classes: class,
                    },
                ))
            },
        )? {
            if let Some(i) = by_class(&class) {
                data[i].suggested_most.push(s);
            }
        }
        if with_comments {
            for row in self.rows(sql!("comments"), both, "reading the comments", |r| {
                Ok(CommentRow {
                    student_id: r.get(0)?,
                    time: r.get(1)?,
                    resource: r.get(2)?,
                    text: r.get(3)?,
                    sentiment: r.get(4)?,
                    language: r.get(5)?,
                })
            })? {
                if let Some(i) = by_student(&row.student_id) {
                    data[i].comments.push(row);
                }
            }
        }
        Ok(data)
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

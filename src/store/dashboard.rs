//! Typed queries behind the dashboard (`queries/dashboard/*.sql`): class lists
//! and rosters from the weekly activity summary, and small per-student,
//! per-skill and per-resource reads.

use duckdb::params;

use super::error::DbContext;
use super::{Store, StoreError};

/// When the data starts and ends: trends and "active this week" count back
/// from the last recorded activity, not from today, so an old export still reads right.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataSpan {
    /// The Monday of the first week with answers or views, as YYYY-MM-DD.
    pub first_week: Option<String>,
    /// The last answer or view.
    pub as_of: Option<String>,
    /// Weeks from `first_week` to `as_of`, both counted.
    pub weeks: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClassInfo {
    pub class_id: String,
    pub name: String,
    pub teacher: String,
}

/// One class's totals over its students' answers and views.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassActivity {
    pub class_id: String,
    pub name: String,
    pub teacher: String,
    pub students: u64,
    /// Students with an answer or view in the last 7 days of data.
    pub active_this_week: u64,
    pub responses: u64,
    pub correct: u64,
    pub minutes_on_task: f64,
    /// (week since the first week of data, answers that week), weeks with activity only.
    pub weekly_responses: Vec<(u32, u64)>,
}

/// One student's totals over all their answers and views.
#[derive(Debug, Clone, PartialEq)]
pub struct StudentActivity {
    pub student_id: String,
    pub display_name: String,
    pub class_id: String,
    pub responses: u64,
    pub correct: u64,
    pub answer_seconds: f64,
    pub watched_seconds: f64,
    pub last_active: Option<String>,
    /// Days from the last activity to the last activity in the whole data.
    pub idle_days: Option<i32>,
    /// (week since the first week of data, answers that week), weeks with activity only.
    pub weekly_responses: Vec<(u32, u64)>,
    /// Mean P(positive) - P(negative) of their scored comments, -1..1.
    pub mood: Option<f64>,
    /// Mean ability over the skills they answered in (after the ability stage).
    pub ability: Option<f64>,
    /// At-risk rules that fired (after the ability stage).
    pub risk: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SkillInfo {
    pub skill_id: String,
    pub subject: String,
    pub name: String,
    pub description: String,
}

/// `prereq_id` must be mastered before `skill_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prerequisite {
    pub skill_id: String,
    pub prereq_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SkillClassRate {
    pub skill_id: String,
    pub class_id: String,
    pub responses: u64,
    pub correct_rate: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceUse {
    pub resource_id: String,
    pub kind: String,
    pub title: String,
    pub skill: String,
    pub difficulty: Option<f64>,
    pub minutes: Option<f64>,
    pub views: u64,
    pub viewers: u64,
    pub completion_rate: Option<f64>,
    pub avg_minutes: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StudentSkill {
    pub skill_id: String,
    pub subject: String,
    pub name: String,
    pub responses: u64,
    pub correct_rate: f64,
    pub last: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StudentWeek {
    /// The Monday, as YYYY-MM-DD.
    pub week: String,
    /// Weeks since the first week of the whole data.
    pub week_index: u32,
    pub responses: u64,
    pub correct: u64,
    pub minutes: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StudentComment {
    pub time: String,
    pub resource: String,
    pub text: String,
    /// negative/neutral/positive, when scored.
    pub sentiment: Option<String>,
    /// scored / unsupported language / empty; None before the comments stage ran.
    pub status: Option<String>,
    /// The skill's name, and whether the text named it ("text") or only its resource.
    pub topic: Option<String>,
    pub topic_from: Option<String>,
}

/// A comment of the Comments view's feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedComment {
    pub time: String,
    pub class_id: String,
    pub student_id: String,
    pub student: String,
    pub text: String,
    pub sentiment: Option<String>,
    pub status: Option<String>,
    pub topic: Option<String>,
    pub topic_from: Option<String>,
    /// How close in meaning to a search, when the feed is a search's result.
    pub score: Option<f32>,
}

/// The Comments view's data: the feed and the weekly sentiment counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommentFeed {
    /// The class, or None for the whole school.
    pub class_id: Option<String>,
    pub comments: Vec<FeedComment>,
    /// (Monday as YYYY-MM-DD, [negative, neutral, positive]) for weeks with scored comments.
    pub weeks: Vec<(String, [u64; 3])>,
    /// The search the comments answer, closest first; None for the latest comments.
    pub search: Option<String>,
}

/// One of a student's top interests, with the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct StudentInterest {
    pub skill: String,
    pub weight: f64,
    pub comments: i32,
    pub searches: i32,
    /// Their latest comment or search that names the skill.
    pub latest: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StudentSearch {
    pub time: String,
    pub query: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BrowsingPath {
    pub path: String,
    pub times: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StudentResource {
    pub resource_id: String,
    pub kind: String,
    pub title: String,
    pub views: u64,
    pub minutes: f64,
    pub completed: bool,
    pub last: String,
}

/// Everything the student view shows, read in one go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StudentDetail {
    pub skills: Vec<StudentSkill>,
    pub weeks: Vec<StudentWeek>,
    pub comments: Vec<StudentComment>,
    /// (week since the first week of data, mood, scored comments) for weeks with any.
    pub mood_weeks: Vec<(u32, f64, u64)>,
    pub interests: Vec<StudentInterest>,
    pub searches: Vec<StudentSearch>,
    pub paths: Vec<BrowsingPath>,
    pub resources: Vec<StudentResource>,
    /// Per-skill abilities, weekly estimates, at-risk flags and explanations
    /// (empty before the ability stage).
    pub abilities: Vec<crate::store::ability::StudentSkill>,
    pub mastery: Vec<(String, WeekEstimate)>,
    pub risk: Vec<RiskRow>,
    pub answers: Vec<StudentAnswer>,
    pub trends: Vec<(String, Trend)>,
    /// One per ability, in the same order; made from the rest by
    /// [`crate::ability::explain::student`] (the store only reads).
    pub explanations: Vec<Explanation>,
    /// Suggested resources with their reasons, and the learning path (empty
    /// before the recommendation stage).
    pub suggestions: Vec<crate::store::recommend::StudentSuggestion>,
    pub learning_path: Vec<crate::store::recommend::StudentStep>,
}

use crate::ability::explain::Explanation;
use crate::ability::mastery::{Trend, WeekEstimate};
use crate::store::ability::{RiskRow, StudentAnswer};

macro_rules! dashboard_sql {
    ($name:literal) => {
        include_str!(concat!("../../queries/dashboard/", $name, ".sql"))
    };
}

impl Store {
    pub fn data_span(&self) -> Result<DataSpan, StoreError> {
        self.conn()
            .query_row(dashboard_sql!("data_span"), [], |r| {
                Ok(DataSpan {
                    first_week: r.get(0)?,
                    as_of: r.get(1)?,
                    weeks: r.get(2)?,
                })
            })
            .context("reading when the data starts and ends")
    }

    pub fn classes(&self) -> Result<Vec<ClassInfo>, StoreError> {
        self.rows(dashboard_sql!("classes"), [], "listing classes", |r| {
            Ok(ClassInfo {
                class_id: r.get(0)?,
                name: r.get(1)?,
                teacher: r.get(2)?,
            })
        })
    }

    /// Every class with its activity totals, from the weekly summary.
    pub fn class_activity(&self) -> Result<Vec<ClassActivity>, StoreError> {
        self.rows(
            dashboard_sql!("class_activity"),
            [],
            "summarising class activity",
            |r| {
                let weekly: String = r.get(8)?;
                Ok(ClassActivity {
                    class_id: r.get(0)?,
                    name: r.get(1)?,
                    teacher: r.get(2)?,
                    students: r.get(3)?,
                    active_this_week: r.get(4)?,
                    responses: r.get(5)?,
                    correct: r.get(6)?,
                    minutes_on_task: r.get(7)?,
                    weekly_responses: parse_weekly(&weekly),
                })
            },
        )
    }

    /// Every student with their activity totals, from the weekly summary.
    pub fn student_activity(&self) -> Result<Vec<StudentActivity>, StoreError> {
        self.rows(
            dashboard_sql!("student_activity"),
            [],
            "summarising student activity",
            |r| {
                let weekly: String = r.get(9)?;
                Ok(StudentActivity {
                    student_id: r.get(0)?,
                    display_name: r.get(1)?,
                    class_id: r.get(2)?,
                    responses: r.get(3)?,
                    correct: r.get(4)?,
                    answer_seconds: r.get(5)?,
                    watched_seconds: r.get(6)?,
                    last_active: r.get(7)?,
                    idle_days: r.get(8)?,
                    weekly_responses: parse_weekly(&weekly),
                    mood: r.get(10)?,
                    ability: r.get(11)?,
                    risk: r.get(12)?,
                })
            },
        )
    }

    pub fn skills(&self) -> Result<Vec<SkillInfo>, StoreError> {
        self.rows(dashboard_sql!("skills"), [], "listing skills", |r| {
            Ok(SkillInfo {
                skill_id: r.get(0)?,
                subject: r.get(1)?,
                name: r.get(2)?,
                description: r.get(3)?,
            })
        })
    }

    pub fn prerequisites(&self) -> Result<Vec<Prerequisite>, StoreError> {
        self.rows(
            dashboard_sql!("skill_prereqs"),
            [],
            "listing prerequisites",
            |r| {
                Ok(Prerequisite {
                    skill_id: r.get(0)?,
                    prereq_id: r.get(1)?,
                })
            },
        )
    }

    pub fn skill_class_rates(&self) -> Result<Vec<SkillClassRate>, StoreError> {
        self.rows(
            dashboard_sql!("skill_class_rates"),
            [],
            "rating skills per class",
            |r| {
                Ok(SkillClassRate {
                    skill_id: r.get(0)?,
                    class_id: r.get(1)?,
                    responses: r.get(2)?,
                    correct_rate: r.get(3)?,
                })
            },
        )
    }

    pub fn resource_catalog(&self) -> Result<Vec<ResourceUse>, StoreError> {
        self.rows(
            dashboard_sql!("resource_catalog"),
            [],
            "summarising resource use",
            |r| {
                Ok(ResourceUse {
                    resource_id: r.get(0)?,
                    kind: r.get(1)?,
                    title: r.get(2)?,
                    skill: r.get(3)?,
                    difficulty: r.get(4)?,
                    minutes: r.get(5)?,
                    views: r.get(6)?,
                    viewers: r.get(7)?,
                    completion_rate: r.get(8)?,
                    avg_minutes: r.get(9)?,
                })
            },
        )
    }

    /// The latest comments of a class (or the school) and its weekly sentiment.
    pub fn comment_feed(&self, class_id: Option<&str>) -> Result<CommentFeed, StoreError> {
        Ok(CommentFeed {
            class_id: class_id.map(str::to_string),
            comments: self.rows(
                dashboard_sql!("comment_feed"),
                params![class_id],
                "reading the comments",
                |r| {
                    Ok(FeedComment {
                        time: r.get(0)?,
                        class_id: r.get(1)?,
                        student_id: r.get(2)?,
                        student: r.get(3)?,
                        text: r.get(4)?,
                        sentiment: r.get(5)?,
                        status: r.get(6)?,
                        topic: r.get(7)?,
                        topic_from: r.get(8)?,
                        score: None,
                    })
                },
            )?,
            weeks: self.rows(
                dashboard_sql!("comment_trend"),
                params![class_id],
                "counting sentiment per week",
                |r| Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?])),
            )?,
            search: None,
        })
    }

    pub fn student_detail(&self, student_id: &str) -> Result<StudentDetail, StoreError> {
        let one = params![student_id];
        Ok(StudentDetail {
            skills: self.rows(
                dashboard_sql!("student_skills"),
                one,
                "reading a student's skills",
                |r| {
                    Ok(StudentSkill {
                        skill_id: r.get(0)?,
                        subject: r.get(1)?,
                        name: r.get(2)?,
                        responses: r.get(3)?,
                        correct_rate: r.get(4)?,
                        last: r.get(5)?,
                    })
                },
            )?,
            weeks: self.rows(
                dashboard_sql!("student_weeks"),
                one,
                "reading a student's weeks",
                |r| {
                    Ok(StudentWeek {
                        week: r.get(0)?,
                        week_index: r.get(1)?,
                        responses: r.get(2)?,
                        correct: r.get(3)?,
                        minutes: r.get(4)?,
                    })
                },
            )?,
            comments: self.rows(
                dashboard_sql!("student_comments"),
                one,
                "reading a student's comments",
                |r| {
                    Ok(StudentComment {
                        time: r.get(0)?,
                        resource: r.get(1)?,
                        text: r.get(2)?,
                        sentiment: r.get(3)?,
                        status: r.get(4)?,
                        topic: r.get(5)?,
                        topic_from: r.get(6)?,
                    })
                },
            )?,
            mood_weeks: self.rows(
                dashboard_sql!("student_mood_weeks"),
                one,
                "reading a student's mood by week",
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?,
            interests: self.rows(
                dashboard_sql!("student_interests"),
                one,
                "reading a student's interests",
                |r| {
                    Ok(StudentInterest {
                        skill: r.get(0)?,
                        weight: r.get(1)?,
                        comments: r.get(2)?,
                        searches: r.get(3)?,
                        latest: r.get(4)?,
                    })
                },
            )?,
            searches: self.rows(
                dashboard_sql!("student_searches"),
                one,
                "reading a student's searches",
                |r| {
                    Ok(StudentSearch {
                        time: r.get(0)?,
                        query: r.get(1)?,
                    })
                },
            )?,
            paths: self.rows(
                dashboard_sql!("student_paths"),
                one,
                "reading a student's browsing",
                |r| {
                    Ok(BrowsingPath {
                        path: r.get(0)?,
                        times: r.get(1)?,
                    })
                },
            )?,
            resources: self.rows(
                dashboard_sql!("student_resources"),
                one,
                "reading what a student viewed",
                |r| {
                    Ok(StudentResource {
                        resource_id: r.get(0)?,
                        kind: r.get(1)?,
                        title: r.get(2)?,
                        views: r.get(3)?,
                        minutes: r.get(4)?,
                        completed: r.get(5)?,
                        last: r.get(6)?,
                    })
                },
            )?,
            abilities: self.student_abilities(student_id)?,
            mastery: self.student_mastery(student_id)?,
            risk: self.student_risk(student_id)?,
            answers: self.student_answers(student_id)?,
            trends: self.student_trends(student_id)?,
            explanations: Vec::new(),
            suggestions: self.student_recommendations(student_id)?,
            learning_path: self.student_path(student_id)?,
        })
    }
}

/// `week:answers` pairs separated by spaces, as the activity queries write them.
fn parse_weekly(text: &str) -> Vec<(u32, u64)> {
    text.split_whitespace()
        .filter_map(|pair| {
            let (week, count) = pair.split_once(':')?;
            Some((week.parse().ok()?, count.parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_pairs_are_parsed() {
        assert_eq!(
            parse_weekly("0:11 3:0 17:46"),
            vec![(0, 11), (3, 0), (17, 46)]
        );
        assert_eq!(parse_weekly(""), vec![]);
    }
}

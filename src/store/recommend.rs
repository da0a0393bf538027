//! Typed access for the recommender: what it reads (the catalog, abilities,
//! interests, views, the raw history) and what it writes (suggestions, paths,
//! the ranker), and teachers' pins and hides.

use duckdb::params;
use serde::Serialize;

use super::embeddings::{bytes_of, vector_of};
use super::error::DbContext;
use super::{Store, StoreError};

macro_rules! sql {
    ($name:literal) => {
        include_str!(concat!("../../queries/recommend/", $name, ".sql"))
    };
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRow {
    pub resource_id: String,
    pub title: String,
    pub kind: String,
    pub skill_id: Option<String>,
    pub difficulty: Option<f64>,
    /// The text analyze encodes for it.
    pub text: String,
}

/// (resource, completions, mean interest cosine, vector).
pub type ResourceSignal = (String, i64, f64, Option<Vec<f32>>);

/// (student, resource) with a count, a flag or a time, as each query says.
pub type Pair<T> = (String, String, T);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Pin,
    Hide,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Pin => "pin",
            Action::Hide => "hide",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecommendationRow {
    pub student_id: String,
    pub rank: i32,
    pub resource_id: String,
    pub score: f64,
    pub pinned: bool,
    pub predicted_success: f64,
    pub mastery: Option<f64>,
    /// In the order of `recommend::features::FEATURES`.
    pub contributions: [f64; 10],
    pub reasons: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PathRow {
    pub student_id: String,
    pub step: i32,
    pub skill_id: String,
    pub mastery: f64,
    pub assessed: bool,
    pub resource_id: Option<String>,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signals {
    /// (resource, completions, mean interest cosine, vector).
    pub resources: Vec<ResourceSignal>,
    /// (class, resource, students who opened it lately).
    pub class_opens: Vec<(String, String, i64)>,
    /// (class, skill, share of the class's recent work).
    pub class_skills: Vec<(String, String, f64)>,
}

/// One row of `recommend_inputs`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputRow {
    pub student_id: String,
    pub kind: &'static str,
    pub key: Option<String>,
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub vector: Option<Vec<f32>>,
}

/// A stored input as read back: (kind, key, x, y, vector).
pub type StoredInput = (
    String,
    Option<String>,
    Option<f64>,
    Option<f64>,
    Option<Vec<f32>>,
);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankerRow {
    pub feature: String,
    pub weight: f64,
    pub mean: f64,
    pub scale: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankerSource {
    pub model: String,
    pub examples: i64,
    pub completions: i64,
    pub gap_priority: f64,
    pub diversity: f64,
    /// Epoch seconds of the latest event the suggestions saw.
    pub as_of: Option<i64>,
}

/// A stored suggestion as a teacher reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudentSuggestion {
    pub rank: i32,
    pub resource_id: String,
    pub title: String,
    pub kind: String,
    pub skill: String,
    pub score: f64,
    pub pinned: bool,
    pub predicted_success: f64,
    pub mastery: Option<f64>,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudentStep {
    pub step: i32,
    pub skill_id: String,
    pub skill: String,
    pub mastery: f64,
    pub assessed: bool,
    pub resource_id: Option<String>,
    pub resource: Option<String>,
    pub why: String,
}

/// How often a resource is suggested, and to whom.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuggestedResource {
    pub resource_id: String,
    pub title: String,
    pub kind: String,
    pub skill: String,
    pub students: i64,
    pub top3: i64,
    pub predicted_success: f64,
    pub classes: String,
}

impl Store {
    /// Epoch seconds of the latest event of any kind.
    pub fn latest_event(&self) -> Result<Option<i64>, StoreError> {
        let rows = self.rows(sql!("now"), [], "finding the latest event", |r| r.get(0))?;
        Ok(rows.into_iter().next().flatten())
    }

    pub fn skill_names(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.rows(sql!("skills"), [], "reading skills", |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
    }

    /// (skill, prerequisite) edges.
    pub fn prereq_edges(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.rows(
            include_str!("../../queries/dashboard/skill_prereqs.sql"),
            [],
            "reading skill prerequisites",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// (skill, difficulty, discrimination) of every fitted item.
    pub fn fitted_items(&self) -> Result<Vec<(String, f64, f64)>, StoreError> {
        self.rows(sql!("items"), [], "reading item estimates", |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
    }

    pub fn item_skills(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.rows(sql!("item_skills"), [], "reading items", |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
    }

    /// The catalog's resources; `with_text` adds the text analyze encodes for each.
    pub fn resource_rows(&self, with_text: bool) -> Result<Vec<ResourceRow>, StoreError> {
        self.rows(
            sql!("resources"),
            params![with_text],
            "reading resources",
            |r| {
                Ok(ResourceRow {
                    resource_id: r.get(0)?,
                    title: r.get(1)?,
                    kind: r.get(2)?,
                    skill_id: r.get(3)?,
                    difficulty: r.get(4)?,
                    text: r.get(5)?,
                })
            },
        )
    }

    /// (student, class); `sample` > 1 keeps about one in `sample`, the same
    /// students as the history queries.
    pub fn students_with_class(&self, sample: u64) -> Result<Vec<(String, String)>, StoreError> {
        self.rows(sql!("students"), params![sample], "reading students", |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
    }

    /// (student, skill, θ, SD) of every stored ability.
    pub fn stored_abilities(&self) -> Result<Vec<(String, String, f64, f64)>, StoreError> {
        self.rows(sql!("abilities"), [], "reading abilities", |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
    }

    pub fn interest_vectors(&self, model: &str) -> Result<Vec<(String, Vec<f32>)>, StoreError> {
        self.rows(
            sql!("profiles"),
            params![model],
            "reading interest profiles",
            |r| Ok((r.get(0)?, vector_of(&r.get::<_, Vec<u8>>(1)?))),
        )
    }

    /// (student, resource, completed) for every resource a student opened.
    pub fn engagement(&self) -> Result<Vec<Pair<bool>>, StoreError> {
        self.rows(sql!("engagement"), [], "reading views", |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
    }

    /// (student, resource, views) since `since` (epoch seconds).
    pub fn recent_views(&self, since: i64) -> Result<Vec<Pair<i64>>, StoreError> {
        self.rows(
            sql!("recent_views"),
            params![since],
            "reading recent views",
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    /// (student, skill, first attempts) since `since` (epoch seconds).
    pub fn recent_answers(&self, since: i64) -> Result<Vec<Pair<i64>>, StoreError> {
        self.rows(
            sql!("recent_answers"),
            params![since],
            "reading recent answers",
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    /// (student, item, (epoch seconds, correct)) of every first attempt, sampled as in
    /// [`Store::students_with_class`].
    pub fn history_answers(&self, sample: u64) -> Result<Vec<Pair<(i64, bool)>>, StoreError> {
        self.rows(
            sql!("history_answers"),
            params![sample],
            "reading the history of answers",
            |r| Ok((r.get(0)?, r.get(1)?, (r.get(2)?, r.get(3)?))),
        )
    }

    /// (student, resource, (epoch seconds, completed)) of every view, sampled.
    pub fn history_views(&self, sample: u64) -> Result<Vec<Pair<(i64, bool)>>, StoreError> {
        self.rows(
            sql!("history_views"),
            params![sample],
            "reading the history of views",
            |r| Ok((r.get(0)?, r.get(1)?, (r.get(2)?, r.get(3)?))),
        )
    }

    /// A student's class and its size.
    pub fn student_class(&self, student_id: &str) -> Result<Option<(String, i64)>, StoreError> {
        let rows = self.rows(
            sql!("student_class"),
            params![student_id],
            "reading a student's class",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(rows.into_iter().next())
    }

    /// (resource, completions, mean interest cosine, vector) as the last analysis stored them.
    pub fn resource_signals(&self) -> Result<Vec<ResourceSignal>, StoreError> {
        self.rows(
            sql!("resource_signals"),
            [],
            "reading resource signals",
            |r| {
                let vector: Option<Vec<u8>> = r.get(3)?;
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    vector.map(|v| vector_of(&v)),
                ))
            },
        )
    }

    /// (resource, students of the class who opened it lately).
    pub fn class_recent_opens(&self, class_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
        self.rows(
            sql!("class_recent_opens"),
            params![class_id],
            "reading a class's recent opens",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// One student's stored inputs: (kind, key, x, y, vector).
    pub fn student_inputs(&self, student_id: &str) -> Result<Vec<StoredInput>, StoreError> {
        self.rows(
            sql!("student_inputs"),
            params![student_id],
            "reading a student's inputs",
            |r| {
                let vector: Option<Vec<u8>> = r.get(4)?;
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    vector.map(|v| vector_of(&v)),
                ))
            },
        )
    }

    /// (skill, share of the class's recent work).
    pub fn class_recent_skills(&self, class_id: &str) -> Result<Vec<(String, f64)>, StoreError> {
        self.rows(
            sql!("class_recent_skills"),
            params![class_id],
            "reading a class's recent skills",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Every pin and hide (or `student`'s), oldest first.
    pub fn overrides(&self, student: Option<&str>) -> Result<Vec<Pair<Action>>, StoreError> {
        self.rows(
            sql!("overrides"),
            params![student],
            "reading pins and hides",
            |r| {
                let action: String = r.get(2)?;
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    if action == "pin" {
                        Action::Pin
                    } else {
                        Action::Hide
                    },
                ))
            },
        )
    }

    /// Pins, hides or (None) clears a resource for a student, after checking both exist.
    pub fn set_override(
        &mut self,
        student_id: &str,
        resource_id: &str,
        action: Option<Action>,
    ) -> Result<(), StoreError> {
        let context = "storing a pin or hide";
        self.require_write(context)?;
        let exists = |table: &str, key: &str, id: &str| -> Result<bool, StoreError> {
            self.conn
                .query_row(
                    &format!("SELECT count(*) > 0 FROM {table} WHERE {key} = ?"),
                    params![id],
                    |r| r.get(0),
                )
                .context(context)
        };
        if !exists("students", "student_id", student_id)? {
            return Err(StoreError::NotFound {
                what: "student",
                id: student_id.to_string(),
            });
        }
        if !exists("resources", "resource_id", resource_id)? {
            return Err(StoreError::NotFound {
                what: "resource",
                id: resource_id.to_string(),
            });
        }
        let tx = self.conn.transaction().context(context)?;
        tx.execute(
            "DELETE FROM recommendation_overrides WHERE student_id = ? AND resource_id = ?",
            params![student_id, resource_id],
        )
        .context(context)?;
        if let Some(action) = action {
            tx.execute(
                "INSERT INTO recommendation_overrides VALUES (?, ?, ?, current_timestamp::TIMESTAMP)",
                params![student_id, resource_id, action.name()],
            )
            .context(context)?;
        }
        tx.commit().context(context)
    }

    /// Replaces every suggestion, path and the ranker in one transaction.
    pub fn save_recommendations(
        &mut self,
        recommendations: &[RecommendationRow],
        paths: &[PathRow],
        ranker: &[RankerRow],
        source: &RankerSource,
        signals: &Signals,
        inputs: impl Iterator<Item = InputRow>,
    ) -> Result<(), StoreError> {
        let context = "storing recommendations";
        self.require_write(context)?;
        let tx = self.conn.transaction().context(context)?;
        tx.execute_batch(
            "DELETE FROM recommendations; DELETE FROM learning_paths;
             DELETE FROM ranker_weights; DELETE FROM ranker_source;
             DELETE FROM resource_signals; DELETE FROM class_recent_opens;
             DELETE FROM class_recent_skills; DELETE FROM recommend_inputs;",
        )
        .context(context)?;
        append_recommendations(&tx, recommendations, paths, context)?;
        {
            let mut appender = tx.appender("resource_signals").context(context)?;
            for (r, completions, mean, vector) in &signals.resources {
                appender
                    .append_row(params![
                        r,
                        completions,
                        mean,
                        vector.as_deref().map(bytes_of)
                    ])
                    .context(context)?;
            }
            appender.flush().context(context)?;
            let mut appender = tx.appender("class_recent_opens").context(context)?;
            for (c, r, students) in &signals.class_opens {
                appender
                    .append_row(params![c, r, students])
                    .context(context)?;
            }
            appender.flush().context(context)?;
            let mut appender = tx.appender("recommend_inputs").context(context)?;
            for i in inputs {
                appender
                    .append_row(params![
                        i.student_id,
                        i.kind,
                        i.key,
                        i.x,
                        i.y,
                        i.vector.as_deref().map(bytes_of)
                    ])
                    .context(context)?;
            }
            appender.flush().context(context)?;
            let mut appender = tx.appender("class_recent_skills").context(context)?;
            for (c, k, share) in &signals.class_skills {
                appender.append_row(params![c, k, share]).context(context)?;
            }
            appender.flush().context(context)?;
            let mut appender = tx.appender("ranker_weights").context(context)?;
            for w in ranker {
                appender
                    .append_row(params![w.feature, w.weight, w.mean, w.scale])
                    .context(context)?;
            }
            appender.flush().context(context)?;
        }
        tx.execute(
            "INSERT INTO ranker_source VALUES (?, ?, ?, ?, ?, to_timestamp(?)::TIMESTAMP, current_timestamp::TIMESTAMP)",
            params![
                source.model,
                source.examples,
                source.completions,
                source.gap_priority,
                source.diversity,
                source.as_of
            ],
        )
        .context(context)?;
        tx.commit().context(context)
    }

    /// Replaces one student's suggestions and path (after a pin or hide).
    pub fn replace_student_recommendations(
        &mut self,
        student_id: &str,
        recommendations: &[RecommendationRow],
        paths: &[PathRow],
    ) -> Result<(), StoreError> {
        let context = "storing a student's recommendations";
        self.require_write(context)?;
        let tx = self.conn.transaction().context(context)?;
        tx.execute(
            "DELETE FROM recommendations WHERE student_id = ?",
            params![student_id],
        )
        .context(context)?;
        tx.execute(
            "DELETE FROM learning_paths WHERE student_id = ?",
            params![student_id],
        )
        .context(context)?;
        append_recommendations(&tx, recommendations, paths, context)?;
        tx.commit().context(context)
    }

    /// The ranker of the last analysis, if suggestions were made.
    pub fn ranker_source(&self) -> Result<Option<RankerSource>, StoreError> {
        let rows = self.rows(
            "SELECT model, examples, completions, gap_priority, diversity, epoch(as_of)::BIGINT FROM ranker_source",
            [],
            "reading the ranker",
            |r| {
                Ok(RankerSource {
                    model: r.get(0)?,
                    examples: r.get(1)?,
                    completions: r.get(2)?,
                    gap_priority: r.get(3)?,
                    diversity: r.get(4)?,
                    as_of: r.get(5)?,
                })
            },
        )?;
        Ok(rows.into_iter().next())
    }

    pub fn ranker_weights(&self) -> Result<Vec<RankerRow>, StoreError> {
        self.rows(
            "SELECT feature, weight, mean, scale FROM ranker_weights",
            [],
            "reading the ranker",
            |r| {
                Ok(RankerRow {
                    feature: r.get(0)?,
                    weight: r.get(1)?,
                    mean: r.get(2)?,
                    scale: r.get(3)?,
                })
            },
        )
    }

    pub fn student_recommendations(
        &self,
        student_id: &str,
    ) -> Result<Vec<StudentSuggestion>, StoreError> {
        self.rows(
            sql!("student_recommendations"),
            params![student_id],
            "reading a student's suggestions",
            |r| suggestion_at(r, 0),
        )
    }

    pub fn student_path(&self, student_id: &str) -> Result<Vec<StudentStep>, StoreError> {
        self.rows(
            sql!("student_path"),
            params![student_id],
            "reading a student's learning path",
            |r| step_at(r, 0),
        )
    }

    /// Resources by how many students (of `class_id`, or all) they are suggested to.
    pub fn suggested_most(
        &self,
        class_id: Option<&str>,
    ) -> Result<Vec<SuggestedResource>, StoreError> {
        self.rows(
            sql!("suggested_most"),
            params![class_id],
            "reading the suggestions by resource",
            |r| {
                Ok(SuggestedResource {
                    resource_id: r.get(0)?,
                    title: r.get(1)?,
                    kind: r.get(2)?,
                    skill: r.get(3)?,
                    students: r.get(4)?,
                    top3: r.get(5)?,
                    predicted_success: r.get(6)?,
                    classes: r.get(7)?,
                })
            },
        )
    }
}

fn append_recommendations(
    tx: &duckdb::Transaction<'_>,
    recommendations: &[RecommendationRow],
    paths: &[PathRow],
    context: &str,
) -> Result<(), StoreError> {
    let mut appender = tx.appender("recommendations").context(context)?;
    for r in recommendations {
        let c = &r.contributions;
        appender
            .append_row(params![
                r.student_id,
                r.rank,
                r.resource_id,
                r.score,
                r.pinned,
                r.predicted_success,
                r.mastery,
                c[0],
                c[1],
                c[2],
                c[3],
                c[4],
                c[5],
                c[6],
                c[7],
                c[8],
                c[9],
                r.reasons
            ])
            .context(context)?;
    }
    appender.flush().context(context)?;
    let mut appender = tx.appender("learning_paths").context(context)?;
    for p in paths {
        appender
            .append_row(params![
                p.student_id,
                p.step,
                p.skill_id,
                p.mastery,
                p.assessed,
                p.resource_id,
                p.why
            ])
            .context(context)?;
    }
    appender.flush().context(context)
}

/// A suggestion from a row whose columns, from `at` on, are those of
/// `student_recommendations.sql` (reasons joined by "; ").
pub(super) fn suggestion_at(r: &duckdb::Row<'_>, at: usize) -> duckdb::Result<StudentSuggestion> {
    let reasons: String = r.get(at + 9)?;
    Ok(StudentSuggestion {
        rank: r.get(at)?,
        resource_id: r.get(at + 1)?,
        title: r.get(at + 2)?,
        kind: r.get(at + 3)?,
        skill: r.get(at + 4)?,
        score: r.get(at + 5)?,
        pinned: r.get(at + 6)?,
        predicted_success: r.get(at + 7)?,
        mastery: r.get(at + 8)?,
        reasons: reasons
            .split("; ")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// A learning-path step from a row whose columns, from `at` on, are those of `student_path.sql`.
pub(super) fn step_at(r: &duckdb::Row<'_>, at: usize) -> duckdb::Result<StudentStep> {
    Ok(StudentStep {
        step: r.get(at)?,
        skill_id: r.get(at + 1)?,
        skill: r.get(at + 2)?,
        mastery: r.get(at + 3)?,
        assessed: r.get(at + 4)?,
        resource_id: r.get(at + 5)?,
        resource: r.get(at + 6)?,
        why: r.get(at + 7)?,
    })
}

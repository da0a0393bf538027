//! The comments stage's data: texts and their vectors in, sentiment, topics
//! and interest profiles out.

use std::collections::HashMap;

use duckdb::params;

use super::embeddings::{bytes_of, vector_of};
use super::error::DbContext;
use super::{Store, StoreError};
use crate::text::topics::{Centre, TopicAnchors};

/// A comment to analyse.
#[derive(Debug, Clone)]
pub struct CommentText {
    pub comment_id: String,
    pub student_id: String,
    /// The skill of the resource it was written on.
    pub resource_skill: Option<String>,
    pub text: String,
}

/// A search to analyse.
#[derive(Debug, Clone)]
pub struct SearchText {
    pub student_id: String,
    /// As stored (ISO 8601 text), to key the insight row.
    pub time: String,
    pub query: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommentInsight {
    pub comment_id: String,
    pub text_hash: Option<String>,
    pub language: String,
    pub status: &'static str,
    pub sentiment: Option<&'static str>,
    pub probability: Option<f32>,
    pub probabilities: Option<[f32; 3]>,
    pub skill_id: Option<String>,
    pub topic_score: Option<f32>,
    pub topic_from: Option<&'static str>,
    pub key_phrases: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchInsight {
    pub student_id: String,
    pub time: String,
    pub query: String,
    pub text_hash: Option<String>,
    pub language: String,
    pub skill_id: Option<String>,
    pub topic_score: Option<f32>,
}

/// One text of a student, for the interest profile.
#[derive(Debug, Clone)]
pub struct StudentText {
    pub student_id: String,
    /// Seconds since the epoch.
    pub time: i64,
    pub is_comment: bool,
    pub text_hash: String,
    /// The skill the text itself names (topics from the text only).
    pub skill_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct InterestProfile {
    pub student_id: String,
    pub texts: i32,
    pub latest: i64,
    pub vector: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StudentTopic {
    pub student_id: String,
    pub skill_id: String,
    pub rank: i32,
    pub weight: f64,
    pub comments: i32,
    pub searches: i32,
}

impl Store {
    /// What the insights were computed with and when they last changed: the
    /// search index is current when it was built from this.
    pub fn insight_stamp(&self) -> Result<Option<String>, StoreError> {
        let rows = self.rows(
            "SELECT source || '@' || CAST(updated_at AS VARCHAR) FROM insight_source",
            [],
            "reading when the insights changed",
            |r| r.get::<_, String>(0),
        )?;
        Ok(rows.into_iter().next())
    }

    pub fn insight_source(&self) -> Result<Option<String>, StoreError> {
        let rows = self.rows(
            "SELECT source FROM insight_source",
            [],
            "reading what the insights were computed with",
            |r| r.get::<_, String>(0),
        )?;
        Ok(rows.into_iter().next())
    }

    /// Comments with no insight yet (all of them with `all`).
    pub fn comments_to_analyse(&self, all: bool) -> Result<Vec<CommentText>, StoreError> {
        let sql = format!(
            "SELECT c.comment_id, c.student_id, r.skill_id, c.text
             FROM comments c LEFT JOIN resources r USING (resource_id)
             {}
             ORDER BY c.comment_id",
            if all {
                ""
            } else {
                "WHERE c.comment_id NOT IN (SELECT comment_id FROM comment_insights)"
            }
        );
        self.rows(&sql, [], "reading the comments to analyse", |r| {
            Ok(CommentText {
                comment_id: r.get(0)?,
                student_id: r.get(1)?,
                resource_skill: r.get(2)?,
                text: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            })
        })
    }

    /// Searches with no insight yet (all of them with `all`).
    pub fn searches_to_analyse(&self, all: bool) -> Result<Vec<SearchText>, StoreError> {
        let sql = format!(
            "SELECT s.student_id, strftime(s.time, '%Y-%m-%dT%H:%M:%S.%f'), s.query
             FROM searches s
             {}
             ORDER BY 1, 2, 3",
            if all {
                ""
            } else {
                "ANTI JOIN search_insights i
                   ON i.student_id = s.student_id AND i.time = s.time AND i.query = s.query"
            }
        );
        self.rows(&sql, [], "reading the searches to analyse", |r| {
            Ok(SearchText {
                student_id: r.get(0)?,
                time: r.get(1)?,
                query: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            })
        })
    }

    /// (skill_id, kind, text) of every text that describes a skill.
    pub fn topic_texts(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        self.rows(
            include_str!("../../queries/derived/topic_texts.sql"),
            [],
            "reading the skills' texts",
            |r| Ok((r.get(0)?, r.get(2)?, r.get(3)?)),
        )
    }

    /// The vectors of `hashes` that `model` has; missing ones are left out.
    pub fn vectors(
        &self,
        model: &str,
        hashes: &[&str],
    ) -> Result<HashMap<String, Vec<f32>>, StoreError> {
        let context = "reading vectors";
        self.conn
            .execute_batch("CREATE OR REPLACE TEMP TABLE wanted_hashes (text_hash VARCHAR)")
            .context(context)?;
        {
            let mut appender = self.conn.appender("wanted_hashes").context(context)?;
            for h in hashes {
                appender.append_row(params![h]).context(context)?;
            }
            appender.flush().context(context)?;
        }
        let rows = self.rows(
            "SELECT e.text_hash, e.vector FROM embeddings e
             SEMI JOIN wanted_hashes w ON w.text_hash = e.text_hash
             WHERE e.model = ?",
            params![model],
            context,
            |r| Ok((r.get::<_, String>(0)?, vector_of(&r.get::<_, Vec<u8>>(1)?))),
        )?;
        self.conn
            .execute_batch("DROP TABLE wanted_hashes")
            .context(context)?;
        Ok(rows.into_iter().collect())
    }

    /// Stores insights in one transaction; `replace` first deletes every insight,
    /// profile and student topic (what they were computed with changed).
    pub fn save_insights(
        &mut self,
        source: &str,
        replace: bool,
        comments: &[CommentInsight],
        searches: &[SearchInsight],
    ) -> Result<(), StoreError> {
        let context = "storing comment insights";
        self.require_write(context)?;
        let tx = self.conn.transaction().context(context)?;
        if replace {
            tx.execute_batch(
                "DELETE FROM comment_insights; DELETE FROM search_insights;
                 DELETE FROM interest_profiles; DELETE FROM student_topics;",
            )
            .context(context)?;
        }
        {
            let mut appender = tx.appender("comment_insights").context(context)?;
            for c in comments {
                let p = c.probabilities;
                appender
                    .append_row(params![
                        c.comment_id,
                        c.text_hash,
                        c.language,
                        c.status,
                        c.sentiment,
                        c.probability,
                        p.map(|p| p[0]),
                        p.map(|p| p[1]),
                        p.map(|p| p[2]),
                        c.skill_id,
                        c.topic_score,
                        c.topic_from,
                        c.key_phrases
                    ])
                    .context(context)?;
            }
            appender.flush().context(context)?;
            let mut appender = tx.appender("search_insights").context(context)?;
            for s in searches {
                appender
                    .append_row(params![
                        s.student_id,
                        s.time,
                        s.query,
                        s.text_hash,
                        s.language,
                        s.skill_id,
                        s.topic_score
                    ])
                    .context(context)?;
            }
            appender.flush().context(context)?;
        }
        tx.execute_batch("DELETE FROM insight_source")
            .context(context)?;
        tx.execute(
            "INSERT INTO insight_source VALUES (?, current_timestamp::TIMESTAMP)",
            params![source],
        )
        .context(context)?;
        tx.commit().context(context)
    }

    /// Every analysed text of `students` (all students when None), oldest first.
    pub fn student_texts(
        &self,
        students: Option<&[String]>,
    ) -> Result<Vec<StudentText>, StoreError> {
        let context = "reading students' texts";
        self.conn
            .execute_batch("CREATE OR REPLACE TEMP TABLE wanted_students (student_id VARCHAR)")
            .context(context)?;
        if let Some(students) = students {
            let mut appender = self.conn.appender("wanted_students").context(context)?;
            for s in students {
                appender.append_row(params![s]).context(context)?;
            }
            appender.flush().context(context)?;
        }
        let filter = if students.is_some() {
            "WHERE student_id IN (SELECT student_id FROM wanted_students)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT * FROM (
                SELECT c.student_id, epoch(c.time)::BIGINT AS t, true AS is_comment, i.text_hash,
                       CASE WHEN i.topic_from = 'text' THEN i.skill_id END
                FROM comment_insights i JOIN comments c USING (comment_id)
                WHERE i.text_hash IS NOT NULL
                UNION ALL
                SELECT student_id, epoch(time)::BIGINT, false, text_hash,
                       CASE WHEN topic_score IS NOT NULL THEN skill_id END
                FROM search_insights WHERE text_hash IS NOT NULL
             ) {filter}
             ORDER BY student_id, t"
        );
        let rows = self.rows(&sql, [], context, |r| {
            Ok(StudentText {
                student_id: r.get(0)?,
                time: r.get(1)?,
                is_comment: r.get(2)?,
                text_hash: r.get(3)?,
                skill_id: r.get(4)?,
            })
        })?;
        self.conn
            .execute_batch("DROP TABLE wanted_students")
            .context(context)?;
        Ok(rows)
    }

    /// Replaces `model`'s topic prototypes.
    pub fn save_topic_prototypes<'a>(
        &mut self,
        model: &str,
        prototypes: impl Iterator<Item = (&'a str, &'a [f32])>,
    ) -> Result<(), StoreError> {
        let context = "storing topic prototypes";
        self.require_write(context)?;
        let tx = self.conn.transaction().context(context)?;
        tx.execute(
            "DELETE FROM topic_prototypes WHERE model = ?",
            params![model],
        )
        .context(context)?;
        {
            let mut appender = tx.appender("topic_prototypes").context(context)?;
            for (skill, vector) in prototypes {
                appender
                    .append_row(params![model, skill, bytes_of(vector)])
                    .context(context)?;
            }
            appender.flush().context(context)?;
        }
        tx.commit().context(context)
    }

    /// `model`'s topic prototypes as the last analysis stored them, by skill.
    pub fn topic_prototypes(&self, model: &str) -> Result<Vec<(String, Vec<f32>)>, StoreError> {
        self.rows(
            "SELECT skill_id, vector FROM topic_prototypes WHERE model = ? ORDER BY skill_id",
            params![model],
            "reading topic prototypes",
            |r| Ok((r.get(0)?, vector_of(&r.get::<_, Vec<u8>>(1)?))),
        )
    }

    /// `model`'s language centres, by language.
    pub fn language_centres(&self, model: &str) -> Result<HashMap<String, Centre>, StoreError> {
        let rows = self.rows(
            "SELECT language, texts, vector FROM language_centres WHERE model = ?",
            params![model],
            "reading language centres",
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Centre {
                        texts: r.get(1)?,
                        mean: vector_of(&r.get::<_, Vec<u8>>(2)?),
                    },
                ))
            },
        )?;
        Ok(rows.into_iter().collect())
    }

    /// `model`'s topic anchors, by (language, skill).
    pub fn topic_anchors(&self, model: &str) -> Result<TopicAnchors, StoreError> {
        let rows = self.rows(
            "SELECT language, skill_id, texts, vector FROM topic_anchors WHERE model = ?",
            params![model],
            "reading topic anchors",
            |r| {
                Ok((
                    (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                    Centre {
                        texts: r.get(2)?,
                        mean: vector_of(&r.get::<_, Vec<u8>>(3)?),
                    },
                ))
            },
        )?;
        Ok(rows.into_iter().collect())
    }

    /// Replaces `model`'s topic anchors.
    pub fn save_topic_anchors(
        &mut self,
        model: &str,
        anchors: &TopicAnchors,
    ) -> Result<(), StoreError> {
        let context = "storing topic anchors";
        self.require_write(context)?;
        let tx = self.conn.transaction().context(context)?;
        tx.execute("DELETE FROM topic_anchors WHERE model = ?", params![model])
            .context(context)?;
        {
            let mut appender = tx.appender("topic_anchors").context(context)?;
            for ((language, skill), anchor) in anchors {
                appender
                    .append_row(params![
                        model,
                        language,
                        skill,
                        anchor.texts,
                        bytes_of(&anchor.mean)
                    ])
                    .context(context)?;
            }
            appender.flush().context(context)?;
        }
        tx.commit().context(context)
    }

    /// Replaces `model`'s language centres.
    pub fn save_language_centres(
        &mut self,
        model: &str,
        centres: &HashMap<String, Centre>,
    ) -> Result<(), StoreError> {
        let context = "storing language centres";
        self.require_write(context)?;
        let tx = self.conn.transaction().context(context)?;
        tx.execute(
            "DELETE FROM language_centres WHERE model = ?",
            params![model],
        )
        .context(context)?;
        for (language, centre) in centres {
            tx.execute(
                "INSERT INTO language_centres VALUES (?, ?, ?, ?)",
                params![model, language, centre.texts, bytes_of(&centre.mean)],
            )
            .context(context)?;
        }
        tx.commit().context(context)
    }

    /// Replaces the profiles and topics of the students in `profiles` (and of
    /// `cleared`, who have none now).
    pub fn save_interests(
        &mut self,
        model: &str,
        students: &[String],
        profiles: &[InterestProfile],
        topics: &[StudentTopic],
    ) -> Result<(), StoreError> {
        let context = "storing interest profiles";
        self.require_write(context)?;
        let tx = self.conn.transaction().context(context)?;
        tx.execute_batch("CREATE OR REPLACE TEMP TABLE changed_students (student_id VARCHAR)")
            .context(context)?;
        {
            let mut appender = tx.appender("changed_students").context(context)?;
            for s in students {
                appender.append_row(params![s]).context(context)?;
            }
            appender.flush().context(context)?;
        }
        tx.execute_batch(
            "DELETE FROM interest_profiles WHERE student_id IN (SELECT student_id FROM changed_students);
             DELETE FROM student_topics WHERE student_id IN (SELECT student_id FROM changed_students);
             DROP TABLE changed_students;",
        )
        .context(context)?;
        {
            let mut appender = tx.appender("interest_profiles").context(context)?;
            for p in profiles {
                appender
                    .append_row(params![
                        p.student_id,
                        model,
                        p.texts,
                        duckdb::types::Value::Timestamp(duckdb::types::TimeUnit::Second, p.latest),
                        bytes_of(&p.vector)
                    ])
                    .context(context)?;
            }
            appender.flush().context(context)?;
            let mut appender = tx.appender("student_topics").context(context)?;
            for t in topics {
                appender
                    .append_row(params![
                        t.student_id,
                        t.skill_id,
                        t.rank,
                        t.weight,
                        t.comments,
                        t.searches
                    ])
                    .context(context)?;
            }
            appender.flush().context(context)?;
        }
        tx.commit().context(context)
    }
}

/// Which comments a search looks at.
#[derive(Debug, Clone, Default)]
pub struct CommentFilter {
    pub class_id: Option<String>,
    pub student_id: Option<String>,
    /// Dates, YYYY-MM-DD: on or after `since`, before `until`.
    pub since: Option<String>,
    pub until: Option<String>,
    /// The language the comment is written in (ISO 639-1, as detected).
    pub language: Option<String>,
}

impl CommentFilter {
    pub fn is_empty(&self) -> bool {
        self.class_id.is_none()
            && self.student_id.is_none()
            && self.since.is_none()
            && self.until.is_none()
            && self.language.is_none()
    }

    /// The WHERE conditions (over `c` comments and `s` students), with their parameters.
    fn sql(&self) -> (String, Vec<String>) {
        let mut conditions = vec!["i.text_hash IS NOT NULL".to_string()];
        let mut values = Vec::new();
        if let Some(class) = &self.class_id {
            conditions.push("s.class_id = ?".into());
            values.push(class.clone());
        }
        if let Some(student) = &self.student_id {
            conditions.push("c.student_id = ?".into());
            values.push(student.clone());
        }
        if let Some(since) = &self.since {
            conditions.push("c.time >= CAST(? AS DATE)".into());
            values.push(since.clone());
        }
        if let Some(until) = &self.until {
            conditions.push("c.time < CAST(? AS DATE)".into());
            values.push(until.clone());
        }
        if let Some(language) = &self.language {
            conditions.push("i.language = ?".into());
            values.push(language.clone());
        }
        (conditions.join(" AND "), values)
    }
}

/// A distinct comment text, for search.
#[derive(Debug, Clone)]
pub struct TextVector {
    pub text_hash: String,
    pub vector: Vec<f32>,
    pub probabilities: Option<[f32; 3]>,
    /// The skill the text names, if any.
    pub skill_id: Option<String>,
}

/// A comment found by a search.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FoundComment {
    pub comment_id: String,
    pub student_id: String,
    pub student: String,
    pub class_id: String,
    pub time: String,
    pub text: String,
    pub sentiment: Option<String>,
    pub skill_id: Option<String>,
    /// The skill's name, and whether the text named it ("text") or its resource.
    pub topic: Option<String>,
    pub topic_from: Option<String>,
    pub status: String,
    /// As detected (ISO 639-1).
    pub language: String,
    #[serde(skip)]
    pub text_hash: String,
}

impl Store {
    /// The distinct texts of the comments `filter` lets through: hash, vector,
    /// and sentiment probabilities where scored (a text always gets the same).
    pub fn comment_vectors(
        &self,
        model: &str,
        filter: &CommentFilter,
    ) -> Result<Vec<TextVector>, StoreError> {
        let mut out = Vec::new();
        self.for_each_comment_vector(model, filter, |t| {
            out.push(t);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `each` with every distinct text of the comments `filter` lets
    /// through, streaming: a million vectors never sit in memory at once.
    pub fn for_each_comment_vector(
        &self,
        model: &str,
        filter: &CommentFilter,
        mut each: impl FnMut(TextVector) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let context = "reading the comments' vectors";
        let (conditions, mut values) = filter.sql();
        values.push(model.to_string());
        let mut stmt = self
            .conn
            .prepare(&format!(
                "WITH texts AS (
                    SELECT i.text_hash, any_value(i.p_negative) AS n, any_value(i.p_neutral) AS u,
                           any_value(i.p_positive) AS p,
                           any_value(CASE WHEN i.topic_from = 'text' THEN i.skill_id END) AS k
                    FROM comment_insights i
                    JOIN comments c USING (comment_id) JOIN students s USING (student_id)
                    WHERE {conditions}
                    GROUP BY i.text_hash)
                 SELECT e.text_hash, e.vector, t.n, t.u, t.p, t.k
                 FROM embeddings e JOIN texts t USING (text_hash)
                 WHERE e.model = ?"
            ))
            .context(context)?;
        let mut rows = stmt
            .query(duckdb::params_from_iter(values))
            .context(context)?;
        while let Some(r) = rows.next().context(context)? {
            let probabilities = match (
                r.get::<_, Option<f32>>(2).context(context)?,
                r.get::<_, Option<f32>>(3).context(context)?,
                r.get::<_, Option<f32>>(4).context(context)?,
            ) {
                (Some(n), Some(u), Some(p)) => Some([n, u, p]),
                _ => None,
            };
            each(TextVector {
                text_hash: r.get(0).context(context)?,
                vector: vector_of(&r.get::<_, Vec<u8>>(1).context(context)?),
                probabilities,
                skill_id: r.get(5).context(context)?,
            })?;
        }
        Ok(())
    }

    /// The distinct text hashes of the comments `filter` lets through.
    pub fn comment_hashes(&self, filter: &CommentFilter) -> Result<Vec<String>, StoreError> {
        let (conditions, values) = filter.sql();
        self.rows(
            &format!(
                "SELECT DISTINCT i.text_hash FROM comment_insights i
                 JOIN comments c USING (comment_id) JOIN students s USING (student_id)
                 WHERE {conditions}"
            ),
            duckdb::params_from_iter(values),
            "choosing the comments to search",
            |r| r.get::<_, String>(0),
        )
    }

    /// The comments `filter` lets through whose text has one of `hashes`, newest
    /// first, at most `per_text` of each text (a template comment may have
    /// thousands of writers).
    pub fn comments_with_hashes(
        &self,
        hashes: &[&str],
        filter: &CommentFilter,
        per_text: usize,
    ) -> Result<Vec<FoundComment>, StoreError> {
        let (conditions, mut values) = filter.sql();
        let marks = vec!["?"; hashes.len()].join(", ");
        values.extend(hashes.iter().map(|h| h.to_string()));
        let sql = format!(
            "SELECT c.comment_id, c.student_id, s.display_name, s.class_id,
                    strftime(c.time, '%Y-%m-%d %H:%M'), c.text, i.sentiment, i.skill_id, i.text_hash,
                    k.name, i.topic_from, i.status, i.language
             FROM comments c JOIN comment_insights i USING (comment_id)
             JOIN students s USING (student_id)
             LEFT JOIN skills k ON k.skill_id = i.skill_id
             WHERE {conditions} AND i.text_hash IN ({marks})
             QUALIFY row_number() OVER (PARTITION BY i.text_hash
                                        ORDER BY c.time DESC, c.comment_id) <= {per_text}
             ORDER BY c.time DESC, c.comment_id"
        );
        self.rows(
            &sql,
            duckdb::params_from_iter(values),
            "reading the comments found",
            |r| {
                Ok(FoundComment {
                    comment_id: r.get(0)?,
                    student_id: r.get(1)?,
                    student: r.get(2)?,
                    class_id: r.get(3)?,
                    time: r.get(4)?,
                    text: r.get(5)?,
                    sentiment: r.get(6)?,
                    skill_id: r.get(7)?,
                    text_hash: r.get(8)?,
                    topic: r.get(9)?,
                    topic_from: r.get(10)?,
                    status: r.get(11)?,
                    language: r.get(12)?,
                })
            },
        )
    }
}

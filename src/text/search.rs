//! Search by meaning: comments ranked by how close their vectors are to the
//! query's, plus whether they share its stance and its skill. MiniLM's cosine
//! is dominated by words ("lost with fractions" is as close to "fractions
//! finally clicked" as to "fractions make no sense", and "circuits" is far from
//! "resistance"), so two of the analysis's own readings are added: agreement of
//! the two sentiment distributions, and naming the same skill.

use std::collections::HashMap;

use serde::Serialize;

use super::index::SearchIndex;
use super::sentiment::SentimentHead;
use super::topics::{TopicSet, dot};
use crate::store::insights::{CommentFilter, FoundComment};
use crate::store::{Store, StoreError};

/// Weights of stance agreement (0..1) and of naming the query's skill (0 or 1)
/// against cosine similarity (-1..1). Chosen on the demo's ten paraphrased
/// queries (tests/insights.rs): cosine alone finds 0.48 of what they mean.
pub const STANCE_WEIGHT: f32 = 0.4;
pub const TOPIC_WEIGHT: f32 = 0.3;

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// similarity + STANCE_WEIGHT × stance + TOPIC_WEIGHT × (same skill).
    pub score: f32,
    /// Cosine between the query and the comment.
    pub similarity: f32,
    /// Probability that query and comment carry the same sentiment, when both are scored.
    pub stance: Option<f32>,
    #[serde(flatten)]
    pub comment: FoundComment,
}

/// The query as search needs it: its vector, its sentiment if English, and the
/// skill it names, if it names one.
pub struct Query {
    pub vector: Vec<f32>,
    pub probabilities: Option<[f32; 3]>,
    pub skill_id: Option<String>,
    /// How much stance and skill count against cosine (see [`boost_for`]).
    pub boost: f32,
}

/// e5's cosine alone tells a translation from the rest (unrelated texts about
/// 0.75, a translation 0.9): on the en,zh demo it finds a comment's translation
/// in the top 10 for 0.95 (Chinese queries) and 1.0 (English) of 44 meanings;
/// adding stance and skill at MiniLM's weights drops that to 0.14 and 0.48, at
/// a twentieth of them to 0.91 and 1.0. So under e5 they are left out.
pub const E5_BOOST: f32 = 0.0;

/// The scale of the stance and skill weights in `model`'s space.
pub fn boost_for(model: &str) -> f32 {
    if super::model::is_multilingual(model) {
        E5_BOOST
    } else {
        1.0
    }
}

impl Query {
    pub fn new(
        text: &str,
        vector: Vec<f32>,
        head: Option<&SentimentHead>,
        topics: &TopicSet,
        model: &str,
    ) -> Query {
        let probabilities = head
            .filter(|h| h.info.covers(super::language::detect(text).code))
            .map(|h| h.score(&vector).probabilities);
        // Uncentred: under e5 (the centred space) the skill does not count.
        let skill_id = topics.named(&vector).map(|(skill, _)| skill.to_string());
        Query {
            vector,
            probabilities,
            skill_id,
            boost: boost_for(model),
        }
    }
}

/// Candidates the index proposes per comment asked for: enough that the
/// exact ranking of the approximate top agrees with an exact scan's.
const CANDIDATES_PER_HIT: usize = 8;

/// The `limit` best comments for `query` among those `filter` lets through;
/// each distinct text is scored once. With a current `index`, its int8 scan
/// proposes candidates and their exact vectors rank them; without, every
/// vector is read from the database.
pub fn search(
    store: &Store,
    model: &str,
    query: &Query,
    filter: &CommentFilter,
    limit: usize,
    index: Option<&SearchIndex>,
) -> Result<Vec<Hit>, StoreError> {
    let score = |similarity: f32, probabilities: Option<[f32; 3]>, skill: Option<&str>| {
        let stance = match (query.probabilities, probabilities) {
            (Some(q), Some(c)) => Some(dot(&q, &c)),
            _ => None,
        };
        let same_skill = query.skill_id.is_some() && query.skill_id.as_deref() == skill;
        let score = similarity
            + query.boost
                * (STANCE_WEIGHT * stance.unwrap_or(0.0)
                    + if same_skill { TOPIC_WEIGHT } else { 0.0 });
        (score, stance)
    };
    // (score, similarity, stance, hash)
    let mut scored: Vec<(f32, f32, Option<f32>, String)> = match index {
        Some(index) => {
            let allowed = if filter.is_empty() {
                None
            } else {
                Some(super::index::allowed(&store.comment_hashes(filter)?))
            };
            index
                .candidates(
                    &query.vector,
                    allowed.as_ref(),
                    limit.saturating_mul(CANDIDATES_PER_HIT).max(200),
                    query.boost * (STANCE_WEIGHT + TOPIC_WEIGHT),
                    |similarity, probabilities, skill| score(similarity, probabilities, skill).0,
                )
                .into_iter()
                .map(|c| {
                    let (s, stance) = score(c.similarity, c.probabilities, c.skill_id.as_deref());
                    (s, c.similarity, stance, c.text_hash)
                })
                .collect()
        }
        None => store
            .comment_vectors(model, filter)?
            .into_iter()
            .map(|t| {
                let similarity = dot(&query.vector, &t.vector);
                let (s, stance) = score(similarity, t.probabilities, t.skill_id.as_deref());
                (s, similarity, stance, t.text_hash)
            })
            .collect(),
    };
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.3.cmp(&b.3)));
    let mut hits = Vec::new();
    // Texts repeat (the same comment by several students): fetch the comments
    // of the best texts in rounds until there are enough.
    let mut next = 0;
    while hits.len() < limit && next < scored.len() {
        let round = &scored[next..(next + limit).min(scored.len())];
        next += round.len();
        let of: HashMap<&str, (f32, f32, Option<f32>)> = round
            .iter()
            .map(|(s, sim, st, h)| (h.as_str(), (*s, *sim, *st)))
            .collect();
        let hashes: Vec<&str> = round.iter().map(|r| r.3.as_str()).collect();
        let mut found: Vec<Hit> = store
            .comments_with_hashes(&hashes, filter, limit)?
            .into_iter()
            .map(|comment| {
                let (score, similarity, stance) = of
                    .get(comment.text_hash.as_str())
                    .copied()
                    .unwrap_or((0.0, 0.0, None));
                Hit {
                    score,
                    similarity,
                    stance,
                    comment,
                }
            })
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.extend(found.into_iter().take(limit - hits.len()));
    }
    Ok(hits)
}

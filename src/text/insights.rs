//! The comments stage of `classlens analyze`: from the cached vectors, each
//! comment's language, sentiment and topic, each search's topic, and each
//! student's interest profile and top topics. Incremental: only new comments
//! and searches, and the profiles of their students, unless what the insights
//! are computed with (encoder, head, skills) changed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use serde::Serialize;

use super::routing::Route;
use super::sentiment::SentimentHead;
use super::topics::{self, SkillText, TopicAnchors, TopicSet};
use super::{language, phrases};
use super::{normalise, text_hash};
use crate::store::insights::{
    CommentInsight, InterestProfile, SearchInsight, StudentText, StudentTopic,
};
use crate::store::{Store, StoreError};

/// Interest decays by half every 21 days before a student's latest text.
pub const HALF_LIFE_DAYS: f64 = 21.0;
/// Top topics kept per student.
pub const TOP_TOPICS: usize = 3;

#[derive(Debug, Clone, Default, Serialize)]
pub struct InsightReport {
    /// Recomputed everything (encoder, head or skills changed) rather than added.
    pub rebuilt: bool,
    /// Texts written to the search index, when it was rewritten.
    pub indexed: Option<usize>,
    /// Why the search index could not be written (searches then read the database).
    pub index_error: Option<String>,
    pub comments: usize,
    pub scored: usize,
    pub unsupported_language: usize,
    pub empty: usize,
    pub searches: usize,
    pub profiles: usize,
    pub seconds: f64,
}

/// The sentiment head for each model of a route (none: that model's texts are
/// not scored).
pub type Heads = HashMap<String, SentimentHead>;

/// One model's view of the analysis: its vectors and how it reads topics.
struct Space<'h> {
    vectors: HashMap<String, Vec<f32>>,
    topics: TopicReader,
    head: Option<&'h SentimentHead>,
}

pub fn refresh(
    store: &mut Store,
    route: &Route,
    heads: &Heads,
) -> Result<InsightReport, StoreError> {
    let started = Instant::now();
    let mut topic_sets: Vec<TopicSet> = Vec::new();
    for model in route.models() {
        topic_sets.push(topic_set(store, model)?);
    }
    let head_digest: String = route
        .models()
        .iter()
        .map(|model| {
            use sha2::{Digest, Sha256};
            heads.get(*model).map_or_else(
                || "none".to_string(),
                |head| {
                    Sha256::digest(head.to_bytes().unwrap_or_default())[..6]
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect()
                },
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    let fingerprints: Vec<String> = topic_sets.iter().map(TopicSet::fingerprint).collect();
    // "anchored": searches read with the topic anchors; an older analysis,
    // which had none, is recomputed once so that every comment feeds them.
    let source = format!(
        "{}|head:{head_digest}|topics:{}|anchored",
        route.stamp(),
        fingerprints.join(",")
    );
    let rebuilt = store.insight_source()?.as_deref() != Some(source.as_str());
    for (model, topics) in route.models().into_iter().zip(&topic_sets) {
        if rebuilt || store.topic_prototypes(model)?.is_empty() {
            store.save_topic_prototypes(model, topics.prototypes())?;
        }
    }
    let comments = store.comments_to_analyse(rebuilt)?;
    let searches = store.searches_to_analyse(rebuilt)?;
    let mut report = InsightReport {
        rebuilt,
        ..InsightReport::default()
    };
    if comments.is_empty() && searches.is_empty() && !rebuilt {
        refresh_index(store, &route.english, &mut report);
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    let hashes: Vec<Option<String>> = comments
        .iter()
        .map(|c| c.text.as_str())
        .chain(searches.iter().map(|s| s.query.as_str()))
        .map(|t| {
            let n = normalise(t);
            (!n.is_empty()).then(|| text_hash(&n))
        })
        .collect();
    let languages: Vec<language::Language> = comments
        .iter()
        .map(|c| language::detect(&c.text))
        .chain(searches.iter().map(|s| language::detect(&s.query)))
        .collect();
    // Key-phrase candidates of the English comments, with their hashes.
    let candidates: Vec<Vec<(String, String)>> = comments
        .iter()
        .zip(&languages)
        .map(|(c, lang)| {
            if !lang.is_english() {
                return Vec::new();
            }
            phrases::candidates(&c.text)
                .into_iter()
                .map(|p| {
                    let hash = text_hash(&normalise(&p));
                    (p, hash)
                })
                .collect()
        })
        .collect();
    let mut spaces: HashMap<&str, Space<'_>> = HashMap::new();
    for (model, topics) in route.models().into_iter().zip(topic_sets) {
        let mut wanted: Vec<&str> = hashes
            .iter()
            .zip(&languages)
            .filter(|(_, lang)| route.model_for(lang) == model)
            .filter_map(|(hash, _)| hash.as_deref())
            .collect();
        if model == route.english {
            wanted.extend(candidates.iter().flatten().map(|(_, h)| h.as_str()));
        }
        let vectors = store.vectors(model, &wanted)?;
        let mut centres = if rebuilt {
            HashMap::new()
        } else {
            store.language_centres(model)?
        };
        if topics::is_centred(model) {
            for (hash, lang) in hashes.iter().zip(&languages) {
                if route.model_for(lang) != model {
                    continue;
                }
                if let Some(v) = hash.as_ref().and_then(|h| vectors.get(h)) {
                    centres.entry(lang.code.to_string()).or_default().add(v);
                }
            }
            store.save_language_centres(model, &centres)?;
        }
        let mut anchors = if rebuilt || !topics::is_centred(model) {
            TopicAnchors::new()
        } else {
            store.topic_anchors(model)?
        };
        if topics::is_centred(model) {
            for ((c, hash), lang) in comments.iter().zip(&hashes).zip(&languages) {
                if route.model_for(lang) != model {
                    continue;
                }
                let view = hash
                    .as_ref()
                    .and_then(|h| vectors.get(h))
                    .zip(centres.get(lang.code))
                    .and_then(|(v, centre)| topics::centred(v, &centre.mean));
                if let (Some(view), Some(skill)) = (view, &c.resource_skill) {
                    anchors
                        .entry((lang.code.to_string(), skill.clone()))
                        .or_default()
                        .add(&view);
                }
            }
            store.save_topic_anchors(model, &anchors)?;
        }
        spaces.insert(
            model,
            Space {
                vectors,
                topics: TopicReader::new(topics, centres, anchors, topics::is_centred(model)),
                head: heads.get(model).filter(|h| h.info.encoder == model),
            },
        );
    }
    let mut comment_rows = Vec::with_capacity(comments.len());
    for (((c, hash), phrases_of), lang) in comments
        .iter()
        .zip(&hashes)
        .zip(&candidates)
        .zip(&languages)
    {
        let space = spaces.get(route.model_for(lang));
        let vector = hash
            .as_ref()
            .and_then(|h| space.and_then(|s| s.vectors.get(h)));
        let mut row = CommentInsight {
            comment_id: c.comment_id.clone(),
            text_hash: vector.and(hash.clone()),
            language: lang.code.to_string(),
            status: "empty",
            sentiment: None,
            probability: None,
            probabilities: None,
            skill_id: None,
            topic_score: None,
            topic_from: None,
            key_phrases: None,
        };
        if let (Some(vector), Some(space)) = (vector, space) {
            let kept = phrases::key_phrases(
                vector,
                phrases_of
                    .iter()
                    .filter_map(|(p, h)| space.vectors.get(h).map(|v| (p.as_str(), v.as_slice()))),
            );
            row.key_phrases = (!kept.is_empty()).then(|| kept.join(" | "));
            match space.head.filter(|h| h.info.covers(lang.code)) {
                Some(head) => {
                    let s = head.score(vector);
                    row.status = "scored";
                    row.sentiment = Some(s.label);
                    row.probability = Some(s.probability);
                    row.probabilities = Some(s.probabilities);
                    report.scored += 1;
                }
                None => {
                    row.status = "unsupported language";
                    report.unsupported_language += 1;
                }
            }
            if let Some((skill, score)) =
                space
                    .topics
                    .named(vector, lang.code, c.resource_skill.is_none())
            {
                row.skill_id = Some(skill);
                row.topic_score = Some(score);
                row.topic_from = Some("text");
            }
        } else {
            report.empty += 1;
        }
        if row.skill_id.is_none()
            && let Some(skill) = &c.resource_skill
        {
            row.skill_id = Some(skill.clone());
            row.topic_from = Some("resource");
        }
        comment_rows.push(row);
    }
    let mut search_rows = Vec::with_capacity(searches.len());
    for ((s, hash), lang) in searches
        .iter()
        .zip(&hashes[comments.len()..])
        .zip(&languages[comments.len()..])
    {
        let space = spaces.get(route.model_for(lang));
        let vector = hash
            .as_ref()
            .and_then(|h| space.and_then(|sp| sp.vectors.get(h)));
        let named = vector.and_then(|v| space.and_then(|sp| sp.topics.named(v, lang.code, true)));
        let (skill_id, topic_score) = named.unzip();
        search_rows.push(SearchInsight {
            student_id: s.student_id.clone(),
            time: s.time.clone(),
            query: s.query.clone(),
            text_hash: vector.and(hash.clone()),
            language: lang.code.to_string(),
            skill_id,
            topic_score,
        });
    }
    report.comments = comment_rows.len();
    report.searches = search_rows.len();
    store.save_insights(&source, rebuilt, &comment_rows, &search_rows)?;

    let changed: BTreeSet<String> = comments
        .iter()
        .map(|c| c.student_id.clone())
        .chain(searches.iter().map(|s| s.student_id.clone()))
        .collect();
    let changed: Vec<String> = changed.into_iter().collect();
    let texts = store.student_texts((!rebuilt).then_some(changed.as_slice()))?;
    let wanted: Vec<&str> = texts.iter().map(|t| t.text_hash.as_str()).collect();
    let text_vectors = store.vectors(&route.english, &wanted)?;
    let english_topics = spaces.get(route.english.as_str()).map(|s| &s.topics.topics);
    let (profiles, student_topics) = interests(&texts, &text_vectors, english_topics);
    report.profiles = profiles.len();
    store.save_interests(&route.english, &changed, &profiles, &student_topics)?;
    refresh_index(store, &route.english, &mut report);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The search index follows the insights; failing to write it costs searches
/// speed, not correctness, so it is reported, not raised.
fn refresh_index(store: &Store, model: &str, report: &mut InsightReport) {
    match super::index::refresh(store, model) {
        Ok(indexed) => report.indexed = indexed,
        Err(e) => report.index_error = Some(e.to_string()),
    }
}

/// The skills' prototypes as the last analysis stored them (empty before
/// one): what searches and scored texts use, read in a millisecond.
pub fn stored_topics(store: &Store, model: &str) -> Result<TopicSet, StoreError> {
    Ok(TopicSet::from_prototypes(store.topic_prototypes(model)?)
        .with_threshold(topics::threshold_for(model)))
}

/// The skills' prototypes from their texts' cached vectors (centred on the
/// catalogue's mean where the space is read centred).
pub fn topic_set(store: &Store, model: &str) -> Result<TopicSet, StoreError> {
    let texts = store.topic_texts()?;
    let hashes: Vec<String> = texts
        .iter()
        .map(|(_, _, t)| text_hash(&normalise(t)))
        .collect();
    let refs: Vec<&str> = hashes.iter().map(String::as_str).collect();
    let mut vectors = store.vectors(model, &refs)?;
    if topics::is_centred(model) {
        // In hash order: the same centre, to the last bit, on every run.
        let mut centre = topics::Centre::default();
        let mut ordered: Vec<(&String, &Vec<f32>)> = vectors.iter().collect();
        ordered.sort_unstable_by_key(|(hash, _)| *hash);
        for (_, v) in ordered {
            centre.add(v);
        }
        vectors = vectors
            .into_iter()
            .filter_map(|(h, v)| topics::centred(&v, &centre.mean).map(|c| (h, c)))
            .collect();
    }
    let described: Vec<SkillText<'_>> = texts
        .iter()
        .zip(&hashes)
        .filter_map(|((skill_id, kind, _), hash)| {
            vectors.get(hash).map(|v| SkillText {
                skill_id,
                kind,
                vector: v,
            })
        })
        .collect();
    Ok(TopicSet::build(&described).with_threshold(topics::threshold_for(model)))
}

/// Topics as a model's space reads them: its prototypes, and for a centred
/// space the centre of each language and the anchors of each language's
/// skills.
pub struct TopicReader {
    pub topics: TopicSet,
    pub centres: HashMap<String, topics::Centre>,
    /// Private: `anchored` is made from it.
    anchors: TopicAnchors,
    centred: bool,
    /// Per language with anchors, each skill's prototype as an anchored text
    /// is read against (in the order of `topics`).
    anchored: HashMap<String, Vec<Vec<f32>>>,
}

impl TopicReader {
    pub fn new(
        topics: TopicSet,
        centres: HashMap<String, topics::Centre>,
        anchors: TopicAnchors,
        centred: bool,
    ) -> TopicReader {
        let mut anchored = HashMap::new();
        if centred {
            let languages: BTreeSet<&str> = anchors.keys().map(|(l, _)| l.as_str()).collect();
            for language in languages {
                anchored.insert(
                    language.to_string(),
                    anchored_prototypes(&topics, &anchors, language),
                );
            }
        }
        TopicReader {
            topics,
            centres,
            anchors,
            centred,
            anchored,
        }
    }

    pub fn anchors(&self) -> &TopicAnchors {
        &self.anchors
    }

    pub fn stored(store: &Store, model: &str) -> Result<TopicReader, StoreError> {
        let centred = topics::is_centred(model);
        Ok(TopicReader::new(
            stored_topics(store, model)?,
            store.language_centres(model)?,
            if centred {
                store.topic_anchors(model)?
            } else {
                TopicAnchors::new()
            },
            centred,
        ))
    }

    /// The vector topics are read from: centred on its language where the
    /// space is (None when the language has no centre yet).
    pub fn view(&self, vector: &[f32], language: &str) -> Option<Vec<f32>> {
        if !self.centred {
            return Some(vector.to_vec());
        }
        topics::centred(vector, &self.centres.get(language)?.mean)
    }

    /// Skills by closeness to a text in `language`, closest first. With
    /// `anchored`, a skill with an anchor in that language is read against
    /// the mean of its description's prototype and the anchor: the language's
    /// own words for it, as the class wrote them.
    pub fn rank(&self, vector: &[f32], language: &str, anchored: bool) -> Vec<(usize, f32)> {
        let Some(view) = self.view(vector, language) else {
            return Vec::new();
        };
        let Some(prototypes) = self.anchored.get(language).filter(|_| anchored) else {
            return self.topics.rank(&view);
        };
        let mut scored: Vec<(usize, f32)> = prototypes
            .iter()
            .enumerate()
            .map(|(i, p)| (i, topics::dot(p, &view)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }

    /// The skill a text in `language` names, if any (see [`TopicReader::rank`]).
    pub fn named(&self, vector: &[f32], language: &str, anchored: bool) -> Option<(String, f32)> {
        self.rank(vector, language, anchored)
            .first()
            .filter(|(_, score)| *score >= self.topics.threshold)
            .map(|&(i, score)| (self.topics.skill_ids[i].clone(), score))
    }
}

/// Each skill's prototype blended with its anchor in `language` (see
/// [`TopicReader::rank`]). What every comment of the language has in common
/// (their style) is no skill's: anchors are read less the mean of them all.
fn anchored_prototypes(topics: &TopicSet, anchors: &TopicAnchors, language: &str) -> Vec<Vec<f32>> {
    let mut common = topics::Centre::default();
    for ((l, _), anchor) in anchors {
        if l == language {
            common.merge(anchor);
        }
    }
    topics
        .prototypes()
        .map(|(skill, prototype)| {
            let anchor = anchors
                .get(&(language.to_string(), skill.to_string()))
                .and_then(|a| topics::anchor_direction(a, &common.mean));
            let mut blend: Vec<f32> = match anchor {
                Some(anchor) => prototype.iter().zip(&anchor).map(|(p, a)| p + a).collect(),
                None => prototype.to_vec(),
            };
            if topics::normalise(&mut blend) {
                blend
            } else {
                prototype.to_vec()
            }
        })
        .collect()
}

/// What a student's text says about their interests, in the English
/// encoder's space: its vector, or for a text that encoder did not read
/// (another language, under split encoders) the prototype of the skill it is about.
pub fn interest_vector<'a>(
    text: &StudentText,
    vectors: &'a HashMap<String, Vec<f32>>,
    english_topics: Option<&'a TopicSet>,
) -> Option<&'a [f32]> {
    if let Some(v) = vectors.get(&text.text_hash) {
        return Some(v);
    }
    let skill = text.skill_id.as_deref()?;
    english_topics?
        .prototypes()
        .find(|(id, _)| *id == skill)
        .map(|(_, v)| v)
}

/// Profiles and top topics of the students whose texts these are (sorted by
/// student, then time).
pub fn interests(
    texts: &[StudentText],
    vectors: &HashMap<String, Vec<f32>>,
    english_topics: Option<&TopicSet>,
) -> (Vec<InterestProfile>, Vec<StudentTopic>) {
    let mut profiles = Vec::new();
    let mut topics = Vec::new();
    let half_life = HALF_LIFE_DAYS * 86_400.0;
    for student in texts.chunk_by(|a, b| a.student_id == b.student_id) {
        let Some(latest) = student.iter().map(|t| t.time).max() else {
            continue;
        };
        let mut sum: Vec<f32> = Vec::new();
        let mut used = 0;
        // skill -> (weight, comments, searches)
        let mut by_skill: BTreeMap<&str, (f64, i32, i32)> = BTreeMap::new();
        for t in student {
            let weight = 0.5f64.powf((latest - t.time) as f64 / half_life);
            if let Some(v) = interest_vector(t, vectors, english_topics) {
                if sum.is_empty() {
                    sum = vec![0.0; v.len()];
                }
                if sum.len() == v.len() {
                    for (s, x) in sum.iter_mut().zip(v) {
                        *s += weight as f32 * x;
                    }
                    used += 1;
                }
            }
            if let Some(skill) = &t.skill_id {
                let e = by_skill.entry(skill).or_default();
                e.0 += weight;
                if t.is_comment {
                    e.1 += 1;
                } else {
                    e.2 += 1;
                }
            }
        }
        let student_id = &student[0].student_id;
        if topics::normalise(&mut sum) {
            profiles.push(InterestProfile {
                student_id: student_id.clone(),
                texts: used,
                latest,
                vector: sum,
            });
        }
        let mut ranked: Vec<_> = by_skill.into_iter().collect();
        ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.0.cmp(b.0)));
        for (rank, (skill, (weight, comments, searches))) in
            ranked.into_iter().take(TOP_TOPICS).enumerate()
        {
            topics.push(StudentTopic {
                student_id: student_id.clone(),
                skill_id: skill.to_string(),
                rank: rank as i32 + 1,
                weight: (weight * 1e4).round() / 1e4,
                comments,
                searches,
            });
        }
    }
    (profiles, topics)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn centre(texts: u64, mean: [f32; 3]) -> topics::Centre {
        topics::Centre {
            texts,
            mean: mean.to_vec(),
        }
    }

    /// Skills a and b; the Chinese comments on a's resources and on b's
    /// differ along the third axis.
    fn reader(b_comments: u64) -> TopicReader {
        let mut anchors = TopicAnchors::new();
        let key = |skill: &str| ("zh".to_string(), skill.to_string());
        anchors.insert(key("a"), centre(5, [0.0, 0.0, -1.0]));
        anchors.insert(key("b"), centre(b_comments, [0.0, 0.0, 1.0]));
        let mut centres = HashMap::new();
        for language in ["zh", "en"] {
            centres.insert(language.to_string(), centre(1, [0.0; 3]));
        }
        TopicReader::new(
            TopicSet::from_prototypes(vec![
                ("a".to_string(), vec![1.0, 0.0, 0.0]),
                ("b".to_string(), vec![0.0, 1.0, 0.0]),
            ]),
            centres,
            anchors,
            true,
        )
    }

    #[test]
    fn an_anchor_with_enough_comments_brings_a_skill_its_language_s_words() {
        // Nearer a's description than b's, but in the words the class used for b.
        let text = [0.5, 0.45, 0.74];
        let score = |r: &TopicReader, language: &str, anchored: bool, skill: usize| {
            let ranked = r.rank(&text, language, anchored);
            let top = ranked.first().map(|&(i, _)| i);
            let score = ranked.iter().find(|(i, _)| *i == skill).map(|&(_, s)| s);
            (top, score.unwrap_or(f32::NAN))
        };
        let norm = (0.5f32 * 0.5 + 0.45 * 0.45 + 0.74 * 0.74).sqrt();
        let enough = reader(topics::MIN_ANCHOR_TEXTS);
        // b: the mean of its prototype and its anchor (the anchors' mean is 0).
        let (top, b) = score(&enough, "zh", true, 1);
        assert_eq!(top, Some(1));
        assert!((b - (0.45 + 0.74) / 2f32.sqrt() / norm).abs() < 1e-5, "{b}");
        assert_eq!(score(&enough, "zh", false, 1).0, Some(0), "unanchored");
        // English has no anchors: the descriptions alone.
        assert_eq!(score(&enough, "en", true, 1).0, Some(0));
        // Too few comments on b's resources: b is read by its description.
        let few = reader(topics::MIN_ANCHOR_TEXTS - 1);
        let (_, b) = score(&few, "zh", true, 1);
        assert!((b - 0.45 / norm).abs() < 1e-5, "{b}");
    }

    #[test]
    fn anchors_are_read_less_what_their_language_s_comments_share() {
        let mut common = topics::Centre::default();
        common.merge(&centre(3, [1.0, 1.0, 0.0]));
        common.merge(&centre(1, [1.0, -3.0, 4.0]));
        assert_eq!(common.texts, 4);
        assert_eq!(common.mean, [1.0, 0.0, 1.0]);
        let direction = topics::anchor_direction(&centre(5, [1.0, 2.0, 1.0]), &common.mean);
        assert_eq!(direction, Some(vec![0.0, 1.0, 0.0]));
        assert_eq!(
            topics::anchor_direction(&centre(5, [1.0, 0.0, 1.0]), &common.mean),
            None,
            "nothing of its own"
        );
    }
}

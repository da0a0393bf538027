//! What a text is about: each skill gets a prototype vector from the texts that
//! describe it (its name and description, its resources, its items), and a text
//! is about the skill whose prototype is closest, when close enough.

use std::collections::BTreeMap;

/// Cosine from which a text is taken to name a skill. Chosen on the demo
/// school's ground truth (comments that name their topic or not, searches on a
/// skill or off-topic): `cargo test --test insights topic_threshold` prints the
/// accuracy of every threshold, and fails if this one is not within 0.01 of the best.
pub const THRESHOLD: f32 = 0.34;

/// The same for e5, whose topics are read from centred vectors (see
/// [`is_centred`]): swept in steps of 0.01 on the comments of a 240-student
/// en,zh demo, the best threshold was 0.15 for English (accuracy 0.70) and
/// 0.17 for Chinese (0.54).
pub const E5_THRESHOLD: f32 = 0.16;

/// Whether topics in `model`'s space are read from centred vectors. e5's
/// vectors share one large direction, and one more per language, so a Chinese
/// comment is closer to any Chinese text than to the English description of
/// its skill: with each language's mean taken away (and the catalogue's from
/// the skill texts), the demo's Chinese comments find their skill 0.51 of the
/// time instead of 0.37, English ones 0.73 instead of 0.70.
pub fn is_centred(model: &str) -> bool {
    super::model::is_multilingual(model)
}

/// The threshold for `model`'s space.
pub fn threshold_for(model: &str) -> f32 {
    if is_centred(model) {
        E5_THRESHOLD
    } else {
        THRESHOLD
    }
}

/// `vector` less `centre`, at unit length (None when nothing is left).
pub fn centred(vector: &[f32], centre: &[f32]) -> Option<Vec<f32>> {
    let mut out: Vec<f32> = vector.iter().zip(centre).map(|(v, c)| v - c).collect();
    (out.len() == vector.len() && normalise(&mut out)).then_some(out)
}

/// A running mean of vectors: what a language's texts have in common.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Centre {
    pub texts: u64,
    pub mean: Vec<f32>,
}

impl Centre {
    /// Takes in every text of `other`, as if each had been added.
    pub fn merge(&mut self, other: &Centre) {
        if self.mean.is_empty() {
            self.mean = vec![0.0; other.mean.len()];
        }
        if self.mean.len() != other.mean.len() || other.texts == 0 {
            return;
        }
        let total = (self.texts + other.texts) as f32;
        let share = other.texts as f32 / total;
        for (m, x) in self.mean.iter_mut().zip(&other.mean) {
            *m += (x - *m) * share;
        }
        self.texts += other.texts;
    }

    pub fn add(&mut self, vector: &[f32]) {
        if self.mean.is_empty() {
            self.mean = vec![0.0; vector.len()];
        }
        if self.mean.len() != vector.len() {
            return;
        }
        self.texts += 1;
        let n = self.texts as f32;
        for (m, x) in self.mean.iter_mut().zip(vector) {
            *m += (x - *m) / n;
        }
    }
}

/// Comments posted on a skill's resources, per (language, skill): the mean of
/// their language-centred vectors.
pub type TopicAnchors = BTreeMap<(String, String), Centre>;

/// Comments an anchor needs before it is read: fewer say more about their
/// writers than about the skill.
pub const MIN_ANCHOR_TEXTS: u64 = 5;

/// The unit direction of `anchor` less `common` (what the anchors of its
/// language share); None below [`MIN_ANCHOR_TEXTS`].
pub fn anchor_direction(anchor: &Centre, common: &[f32]) -> Option<Vec<f32>> {
    if anchor.texts < MIN_ANCHOR_TEXTS {
        return None;
    }
    let mut direction: Vec<f32> = if common.len() == anchor.mean.len() {
        anchor.mean.iter().zip(common).map(|(a, c)| a - c).collect()
    } else {
        anchor.mean.clone()
    };
    normalise(&mut direction).then_some(direction)
}

/// One text describing a skill, with its vector.
pub struct SkillText<'a> {
    pub skill_id: &'a str,
    /// "skill" (name: description), "resource" or "item".
    pub kind: &'a str,
    pub vector: &'a [f32],
}

#[derive(Debug, Clone)]
pub struct TopicSet {
    pub skill_ids: Vec<String>,
    /// Unit prototypes, one per skill.
    prototypes: Vec<Vec<f32>>,
    /// Cosine from which a text names a skill.
    pub threshold: f32,
}

impl TopicSet {
    /// Prototype of a skill: the normalised sum of the mean vector of each kind
    /// of its texts, so a skill with 40 items is not all items.
    pub fn build(texts: &[SkillText<'_>]) -> TopicSet {
        let mut sums: BTreeMap<&str, BTreeMap<&str, (Vec<f32>, usize)>> = BTreeMap::new();
        for t in texts {
            let (sum, n) = sums
                .entry(t.skill_id)
                .or_default()
                .entry(t.kind)
                .or_insert_with(|| (vec![0.0; t.vector.len()], 0));
            if sum.len() != t.vector.len() {
                continue;
            }
            for (s, x) in sum.iter_mut().zip(t.vector) {
                *s += x;
            }
            *n += 1;
        }
        let mut skill_ids = Vec::new();
        let mut prototypes = Vec::new();
        for (skill, kinds) in sums {
            let dim = kinds.values().map(|(s, _)| s.len()).max().unwrap_or(0);
            let mut prototype = vec![0f32; dim];
            for (sum, n) in kinds.values() {
                let mean = mean_unit(sum, *n);
                for (p, m) in prototype.iter_mut().zip(mean) {
                    *p += m;
                }
            }
            if normalise(&mut prototype) {
                skill_ids.push(skill.to_string());
                prototypes.push(prototype);
            }
        }
        TopicSet {
            skill_ids,
            prototypes,
            threshold: THRESHOLD,
        }
    }

    /// The same prototypes, read with another threshold.
    pub fn with_threshold(mut self, threshold: f32) -> TopicSet {
        self.threshold = threshold;
        self
    }

    pub fn is_empty(&self) -> bool {
        self.skill_ids.is_empty()
    }

    /// The prototypes as stored: (skill, unit vector).
    pub fn prototypes(&self) -> impl Iterator<Item = (&str, &[f32])> {
        self.skill_ids
            .iter()
            .map(String::as_str)
            .zip(self.prototypes.iter().map(Vec::as_slice))
    }

    /// A set from stored prototypes.
    pub fn from_prototypes(stored: Vec<(String, Vec<f32>)>) -> TopicSet {
        let (skill_ids, prototypes) = stored.into_iter().unzip();
        TopicSet {
            skill_ids,
            prototypes,
            threshold: THRESHOLD,
        }
    }

    /// Skills by cosine to `vector`, closest first.
    pub fn rank(&self, vector: &[f32]) -> Vec<(usize, f32)> {
        let mut scored: Vec<(usize, f32)> = self
            .prototypes
            .iter()
            .enumerate()
            .map(|(i, p)| (i, dot(p, vector)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }

    /// The closest skill and its cosine, whether or not it passes the threshold.
    pub fn best(&self, vector: &[f32]) -> Option<(&str, f32)> {
        self.rank(vector)
            .first()
            .map(|&(i, score)| (self.skill_ids[i].as_str(), score))
    }

    /// The closest skill and its cosine, if it passes the threshold.
    pub fn named(&self, vector: &[f32]) -> Option<(&str, f32)> {
        self.best(vector)
            .filter(|(_, score)| *score >= self.threshold)
    }

    /// A fingerprint of the prototypes, so stored topics are recomputed when they change.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for (id, p) in self.skill_ids.iter().zip(&self.prototypes) {
            h.update(id.as_bytes());
            for x in p {
                h.update(x.to_le_bytes());
            }
        }
        h.update(self.threshold.to_le_bytes());
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn mean_unit(sum: &[f32], n: usize) -> Vec<f32> {
    let mut mean: Vec<f32> = sum.iter().map(|s| s / n.max(1) as f32).collect();
    normalise(&mut mean);
    mean
}

/// Scales to unit length; false when the vector is zero (or not finite).
pub fn normalise(v: &mut [f32]) -> bool {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !(norm.is_finite() && norm > 0.0) {
        return false;
    }
    for x in v.iter_mut() {
        *x /= norm;
    }
    true
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prototypes_weigh_kinds_not_counts() {
        let x = [1.0, 0.0];
        let y = [0.0, 1.0];
        let texts = vec![
            SkillText {
                skill_id: "a",
                kind: "skill",
                vector: &x,
            },
            SkillText {
                skill_id: "a",
                kind: "item",
                vector: &y,
            },
            SkillText {
                skill_id: "a",
                kind: "item",
                vector: &y,
            },
            SkillText {
                skill_id: "b",
                kind: "skill",
                vector: &y,
            },
        ];
        let topics = TopicSet::build(&texts);
        assert_eq!(topics.skill_ids, ["a", "b"]);
        let r = topics.rank(&[1.0, 1.0]);
        // a's prototype is the diagonal, despite two items to one description.
        assert_eq!(r[0].0, 0);
        assert!((r[0].1 - 2f32.sqrt()).abs() < 1e-5);
        assert_eq!(topics.best(&[0.0, 1.0]).map(|b| b.0), Some("b"));
    }
}

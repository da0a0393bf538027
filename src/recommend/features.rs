//! The features of one (student, resource) pair, and the facts behind them
//! that the reasons quote.

use serde::Serialize;

use super::{Context, MASTERED, Skill, Student};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Cosine of the student's interest profile and the resource's text, less
    /// the resource's mean over students and the student's mean over resources:
    /// what is particular to this pair.
    Interest,
    /// How close the predicted success is to a comfortable [`TARGET_SUCCESS`].
    Fit,
    /// Expected share wrong on the resource's skill: the gap it would close.
    Need,
    /// How far the skill's prerequisites are mastered.
    Ready,
    /// 1 untouched, 0.5 opened, 0 completed.
    Novelty,
    /// Completions by everyone, log-scaled to 0..1.
    Popularity,
    /// Share of the student's class who opened it recently.
    Classmates,
    /// The student's share of recent activity in the resource's skill.
    Current,
    /// Their class's share of recent activity in the resource's skill.
    ClassSkill,
    /// The class's largest recent share in one of the skill's prerequisites:
    /// the skill comes next.
    Upcoming,
}

pub const COUNT: usize = 10;
pub const FEATURES: [Feature; COUNT] = [
    Feature::Interest,
    Feature::Fit,
    Feature::Need,
    Feature::Ready,
    Feature::Novelty,
    Feature::Popularity,
    Feature::Classmates,
    Feature::Current,
    Feature::ClassSkill,
    Feature::Upcoming,
];

/// NaN marks a feature that cannot be known (no interest profile, no vector):
/// the ranker reads it as average, so it neither helps nor hurts.
pub type Values = [f64; COUNT];

/// The predicted success a resource should aim at: hard enough to learn from.
pub const TARGET_SUCCESS: f64 = 0.7;
const FIT_WIDTH: f64 = 0.15;

impl Feature {
    pub fn name(self) -> &'static str {
        match self {
            Feature::Interest => "interest",
            Feature::Fit => "difficulty_fit",
            Feature::Need => "skill_need",
            Feature::Ready => "prerequisites",
            Feature::Novelty => "novelty",
            Feature::Popularity => "popularity",
            Feature::Classmates => "classmates",
            Feature::Current => "current_skill",
            Feature::ClassSkill => "class_skill",
            Feature::Upcoming => "upcoming",
        }
    }

    pub fn index(self) -> usize {
        FEATURES.iter().position(|f| *f == self).unwrap_or(0)
    }
}

/// What the features were computed from, for the reasons.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Facts {
    pub interest: Option<f64>,
    /// Predicted chance of success with the resource.
    pub success: f64,
    /// Expected share right on the resource's skill.
    pub mastery: Option<f64>,
    /// Whether the student has answered anything in that skill.
    pub assessed: bool,
    /// The least-mastered prerequisite below [`MASTERED`], with its mastery.
    pub unready: Option<(usize, f64)>,
    pub engagement: u8,
    pub completions: u32,
    /// Classmates (the student excluded) who opened it recently, of how many.
    pub classmates: (u32, u32),
    pub current: f64,
    /// The class's share of recent work in the skill.
    pub class_skill: f64,
    /// The prerequisite the class works on now, with its share.
    pub upcoming: Option<(usize, f64)>,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Expected share right on the skill's items at ability θ.
pub fn mastery(skill: &Skill, theta: f64) -> f64 {
    if skill.items.is_empty() {
        return sigmoid(theta);
    }
    skill
        .items
        .iter()
        .map(|&(b, a)| sigmoid(a * (theta - b)))
        .sum::<f64>()
        / skill.items.len() as f64
}

/// What one student's features share across resources.
pub struct Prepared {
    /// Per skill: expected share right (at θ = 0, the class's typical
    /// student, where they have no answers).
    pub mastery: Vec<f64>,
    /// Mean θ over the skills they answered in, for resources with no skill.
    pub general: f64,
    /// Per resource, how many classmates opened it lately (themself excluded).
    own_recent: Vec<usize>,
    /// Per resource, the interest cosine (None: no profile or no vector), and their mean.
    cosines: Vec<Option<f64>>,
    mean_cosine: f64,
}

impl Prepared {
    pub fn new(ctx: &Context, student: &Student) -> Prepared {
        let mastery = ctx
            .catalog
            .skills
            .iter()
            .enumerate()
            .map(|(k, skill)| {
                let theta = student
                    .ability
                    .get(k)
                    .copied()
                    .flatten()
                    .map_or(0.0, |a| a.0);
                mastery(skill, theta)
            })
            .collect();
        let known: Vec<f64> = student.ability.iter().flatten().map(|a| a.0).collect();
        let general = if known.is_empty() {
            0.0
        } else {
            known.iter().sum::<f64>() / known.len() as f64
        };
        let mut own_recent = student.recent_resources.clone();
        own_recent.sort_unstable();
        own_recent.dedup();
        let cosines: Vec<Option<f64>> = ctx
            .catalog
            .resources
            .iter()
            .map(|r| match (&student.interest, &r.vector) {
                (Some(p), Some(v)) if p.len() == v.len() => Some(cosine(p, v)),
                _ => None,
            })
            .collect();
        let known: Vec<f64> = cosines.iter().flatten().copied().collect();
        let mean_cosine = known.iter().sum::<f64>() / known.len().max(1) as f64;
        Prepared {
            mastery,
            general,
            own_recent,
            cosines,
            mean_cosine,
        }
    }
}

/// Readiness from one prerequisite's mastery: 0 at 40% expected right, 1 at [`MASTERED`].
fn readiness(mastery: f64) -> f64 {
    ((mastery - 0.4) / (MASTERED - 0.4)).clamp(0.0, 1.0)
}

pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    // Both are unit length: the dot product is the cosine.
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() as f64
}

/// The features of resource `r` for `student`.
pub fn compute(
    ctx: &Context,
    student: &Student,
    prepared: &Prepared,
    r: usize,
    max_completions: u32,
) -> (Values, Facts) {
    let resource = &ctx.catalog.resources[r];
    let skill = resource.skill.filter(|&k| k < ctx.catalog.skills.len());
    let interest = prepared.cosines.get(r).copied().flatten();
    let resource_mean = ctx.crowd.interest_means.get(r).copied().unwrap_or(0.0);
    let particular = interest.map(|c| c - resource_mean - prepared.mean_cosine);
    let theta = match skill {
        Some(k) => student
            .ability
            .get(k)
            .copied()
            .flatten()
            .map_or(0.0, |a| a.0),
        None => prepared.general,
    };
    let success = sigmoid(theta - resource.difficulty.unwrap_or(0.0));
    let fit = (-(success - TARGET_SUCCESS).powi(2) / (2.0 * FIT_WIDTH * FIT_WIDTH)).exp();
    let mastery = skill.map(|k| prepared.mastery[k]);
    let (ready, unready) = match skill {
        Some(k) if !ctx.catalog.skills[k].prereqs.is_empty() => {
            let prereqs = &ctx.catalog.skills[k].prereqs;
            let ready = prereqs
                .iter()
                .map(|&p| readiness(prepared.mastery.get(p).copied().unwrap_or(0.5)))
                .sum::<f64>()
                / prereqs.len() as f64;
            let weakest = prereqs
                .iter()
                .map(|&p| (p, prepared.mastery.get(p).copied().unwrap_or(0.5)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .filter(|w| w.1 < MASTERED);
            (ready, weakest)
        }
        _ => (1.0, None),
    };
    let engagement = student.engagement.get(&r).copied().unwrap_or(0);
    let completions = ctx.crowd.completions.get(r).copied().unwrap_or(0);
    let popularity = if max_completions == 0 {
        0.0
    } else {
        f64::from(completions).ln_1p() / f64::from(max_completions).ln_1p()
    };
    let size = ctx
        .crowd
        .class_sizes
        .get(student.class)
        .copied()
        .unwrap_or(0);
    let opened = ctx
        .crowd
        .class_recent
        .get(student.class)
        .and_then(|c| c.get(&r))
        .copied()
        .unwrap_or(0);
    let own = u32::from(prepared.own_recent.binary_search(&r).is_ok());
    let others = size.saturating_sub(1);
    let classmates = (opened.saturating_sub(own), others);
    let current = skill
        .and_then(|k| student.recent_skills.get(&k))
        .copied()
        .unwrap_or(0.0);
    let class_skills = ctx.crowd.class_skills.get(student.class);
    let class_share = |k: usize| class_skills.and_then(|c| c.get(&k)).copied().unwrap_or(0.0);
    let class_skill = skill.map_or(0.0, class_share);
    let upcoming = skill.and_then(|k| {
        ctx.catalog.skills[k]
            .prereqs
            .iter()
            .map(|&p| (p, class_share(p)))
            .filter(|u| u.1 > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
    });
    let values = [
        particular.unwrap_or(f64::NAN),
        fit,
        mastery.map_or(0.0, |m| 1.0 - m),
        ready,
        match engagement {
            0 => 1.0,
            1 => 0.5,
            _ => 0.0,
        },
        popularity,
        if others == 0 {
            0.0
        } else {
            f64::from(classmates.0) / f64::from(others)
        },
        current,
        class_skill,
        upcoming.map_or(0.0, |u| u.1),
    ];
    let facts = Facts {
        interest,
        success,
        mastery,
        assessed: skill.is_some_and(|k| student.ability.get(k).copied().flatten().is_some()),
        unready,
        engagement,
        completions,
        classmates,
        current,
        class_skill,
        upcoming,
    };
    (values, facts)
}

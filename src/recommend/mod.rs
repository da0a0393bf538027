//! Suggested resources: features of each (student, resource) pair, a ranker
//! with exact per-feature reasons, diversity, teachers' pins and hides, the
//! learning path through the prerequisite graph, and offline evaluation.
//!
//! Everything here but `school` works on plain structs: the store builds a
//! [`Context`] (from the analysed tables, or from raw history up to a cut for
//! evaluation) and the rest never sees a database.

pub mod evaluate;
pub mod features;
pub mod history;
pub mod path;
pub mod ranker;
pub mod school;

use std::collections::HashMap;

use serde::Serialize;

/// Expected share right on a skill's items at which it counts as mastered.
pub const MASTERED: f64 = 0.7;
/// How far back "recent" reaches: what the student and their class did lately.
pub const RECENT_DAYS: i64 = 14;
/// What a class is on "now": its last week. Topics change about weekly, and two
/// weeks would mix in the ones just finished.
pub const CLASS_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Video,
    Ebook,
    Exercise,
    Article,
}

impl Kind {
    pub fn parse(kind: &str) -> Kind {
        match kind {
            "video" => Kind::Video,
            "ebook" => Kind::Ebook,
            "exercise" => Kind::Exercise,
            _ => Kind::Article,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Video => "video",
            Kind::Ebook => "e-book",
            Kind::Exercise => "exercise",
            Kind::Article => "article",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Skill {
    pub id: String,
    pub name: String,
    /// Indices of the skills to master first.
    pub prereqs: Vec<usize>,
    /// The skill's items as (difficulty, discrimination) from its 2PL fit.
    pub items: Vec<(f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub id: String,
    pub title: String,
    pub kind: Kind,
    pub skill: Option<usize>,
    /// On the ability (logit) scale; None reads as an average resource (0).
    pub difficulty: Option<f64>,
    /// Unit-length embedding of its title and description, when encoded.
    pub vector: Option<Vec<f32>>,
}

/// The school's skills and resources.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub skills: Vec<Skill>,
    pub resources: Vec<Resource>,
}

impl Catalog {
    pub fn skill_index(&self) -> HashMap<&str, usize> {
        self.skills
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect()
    }

    pub fn resource_index(&self) -> HashMap<&str, usize> {
        self.resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect()
    }
}

/// What a student has done, as of the moment recommendations are made for.
#[derive(Debug, Clone, Default)]
pub struct Student {
    pub id: String,
    pub class: usize,
    /// Per skill: (θ, posterior SD), None where they have no answers.
    pub ability: Vec<Option<(f64, f64)>>,
    /// Unit-length interest profile from their comments and searches.
    pub interest: Option<Vec<f32>>,
    /// Per resource: 0 untouched, 1 opened, 2 completed.
    pub engagement: HashMap<usize, u8>,
    /// Per skill: their share of recent activity (answers and views) in it.
    pub recent_skills: HashMap<usize, f64>,
    /// Resources they opened recently (counted in their class's recent opens).
    pub recent_resources: Vec<usize>,
}

impl Student {
    /// A student with nothing known yet about them.
    pub fn new(id: &str, class: usize, skills: usize) -> Student {
        Student {
            id: id.to_string(),
            class,
            ability: vec![None; skills],
            ..Student::default()
        }
    }
}

/// What everyone else did: the signal from the crowd.
#[derive(Debug, Clone, Default)]
pub struct Crowd {
    /// Per resource: students who completed it.
    pub completions: Vec<u32>,
    /// Per class: its size, and per resource how many of its students opened it recently.
    pub class_sizes: Vec<u32>,
    pub class_recent: Vec<HashMap<usize, u32>>,
    /// Per class: each skill's share of its students' work (answers and
    /// views) in the last [`CLASS_DAYS`].
    pub class_skills: Vec<HashMap<usize, f64>>,
    /// Per resource: its mean interest cosine over the students with a
    /// profile, so that interest counts what is particular to a student.
    pub interest_means: Vec<f64>,
}

impl Crowd {
    /// Nobody did anything yet, in a school of `classes` classes.
    pub fn empty(resources: usize, classes: usize) -> Crowd {
        Crowd {
            completions: vec![0; resources],
            class_sizes: vec![0; classes],
            class_recent: vec![HashMap::new(); classes],
            class_skills: vec![HashMap::new(); classes],
            interest_means: vec![0.0; resources],
        }
    }

    /// Each resource's mean cosine with the students' interest profiles.
    pub fn interest_means(catalog: &Catalog, students: &[Student]) -> Vec<f64> {
        catalog
            .resources
            .iter()
            .map(|r| {
                let Some(v) = &r.vector else { return 0.0 };
                let (mut sum, mut n) = (0.0, 0usize);
                for p in students.iter().filter_map(|s| s.interest.as_ref()) {
                    if p.len() == v.len() {
                        sum += features::cosine(p, v);
                        n += 1;
                    }
                }
                if n == 0 { 0.0 } else { sum / n as f64 }
            })
            .collect()
    }
}

/// Everything the features read.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub catalog: Catalog,
    pub students: Vec<Student>,
    pub crowd: Crowd,
}

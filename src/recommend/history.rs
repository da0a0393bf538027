//! The raw history of a school (answers, views, texts) as plain indexed
//! events, and the [`Context`] it gives at any moment: abilities refitted,
//! interests and counts taken only from what happened before that moment.
//! Offline evaluation and the ranker's training read it; nothing after the
//! cut can reach a context (tests/recommend.rs holds that).

use std::collections::HashMap;

use crate::ability::irt::{self, Model, Responses};
use crate::text::insights::HALF_LIFE_DAYS;

use super::{CLASS_DAYS, Catalog, Context, Crowd, RECENT_DAYS, Student};

const DAY: i64 = 86_400;

/// A first attempt at an item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Answer {
    pub student: u32,
    pub item: u32,
    pub time: i64,
    pub correct: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub student: u32,
    pub resource: u32,
    pub time: i64,
    pub completed: bool,
}

/// A comment or search, by the index of its vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Text {
    pub student: u32,
    pub time: i64,
    pub vector: u32,
}

#[derive(Debug, Clone, Default)]
pub struct History {
    /// Skills (their `items` are filled in per context) and resources.
    pub catalog: Catalog,
    /// Per item: its skill.
    pub item_skills: Vec<usize>,
    /// (student id, class index); classes are 0..classes.
    pub students: Vec<(String, usize)>,
    pub classes: usize,
    pub answers: Vec<Answer>,
    pub views: Vec<View>,
    pub texts: Vec<Text>,
    pub vectors: Vec<Vec<f32>>,
}

impl History {
    /// First and last event time (seconds), if there is any event.
    pub fn span(&self) -> Option<(i64, i64)> {
        let times = self
            .answers
            .iter()
            .map(|a| a.time)
            .chain(self.views.iter().map(|v| v.time))
            .chain(self.texts.iter().map(|t| t.time));
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for t in times {
            lo = lo.min(t);
            hi = hi.max(t);
        }
        (lo <= hi).then_some((lo, hi))
    }

    /// Everything known strictly before `cut`.
    pub fn context_at(&self, cut: i64) -> Context {
        let mut catalog = self.catalog.clone();
        let n = self.students.len();
        let mut students: Vec<Student> = self
            .students
            .iter()
            .map(|(id, class)| Student::new(id, *class, catalog.skills.len()))
            .collect();
        self.fit_abilities(cut, &mut catalog, &mut students);
        self.add_interests(cut, &mut students);
        let recent_from = cut - RECENT_DAYS * DAY;
        let mut crowd = Crowd::empty(catalog.resources.len(), self.classes);
        let class_from = cut - CLASS_DAYS * DAY;
        let mut class_work: Vec<HashMap<usize, f64>> = vec![HashMap::new(); n];
        for (_, class) in &self.students {
            if let Some(size) = crowd.class_sizes.get_mut(*class) {
                *size += 1;
            }
        }
        let mut recent_work: Vec<HashMap<usize, f64>> = vec![HashMap::new(); n];
        for v in self.views.iter().filter(|v| v.time < cut) {
            let (s, r) = (v.student as usize, v.resource as usize);
            let level = if v.completed { 2 } else { 1 };
            let was = students[s].engagement.entry(r).or_insert(0);
            if level == 2 && *was < 2 {
                crowd.completions[r] += 1;
            }
            *was = (*was).max(level);
            if v.time >= recent_from {
                if !students[s].recent_resources.contains(&r) {
                    students[s].recent_resources.push(r);
                    *crowd.class_recent[students[s].class].entry(r).or_insert(0) += 1;
                }
                if let Some(k) = catalog.resources[r].skill {
                    *recent_work[s].entry(k).or_insert(0.0) += 1.0;
                    if v.time >= class_from {
                        *class_work[s].entry(k).or_insert(0.0) += 1.0;
                    }
                }
            }
        }
        for a in self
            .answers
            .iter()
            .filter(|a| a.time < cut && a.time >= recent_from)
        {
            if let Some(&k) = self.item_skills.get(a.item as usize) {
                *recent_work[a.student as usize].entry(k).or_insert(0.0) += 1.0;
                if a.time >= class_from {
                    *class_work[a.student as usize].entry(k).or_insert(0.0) += 1.0;
                }
            }
        }
        crowd.class_skills = class_shares(&students, &class_work, self.classes);
        crowd.interest_means = Crowd::interest_means(&catalog, &students);
        for (student, work) in students.iter_mut().zip(recent_work) {
            let total: f64 = work.values().sum();
            student.recent_skills = work.into_iter().map(|(k, c)| (k, c / total)).collect();
        }
        Context {
            catalog,
            students,
            crowd,
        }
    }

    /// One 2PL per skill over the first attempts before `cut`, as the school
    /// fit does over all of them.
    fn fit_abilities(&self, cut: i64, catalog: &mut Catalog, students: &mut [Student]) {
        let mut by_skill: Vec<Vec<&Answer>> = vec![Vec::new(); catalog.skills.len()];
        for a in self.answers.iter().filter(|a| a.time < cut) {
            if let Some(&k) = self.item_skills.get(a.item as usize) {
                by_skill[k].push(a);
            }
        }
        for (k, answers) in by_skill.iter().enumerate() {
            catalog.skills[k].items.clear();
            if answers.is_empty() {
                continue;
            }
            let mut items: Vec<u32> = answers.iter().map(|a| a.item).collect();
            items.sort_unstable();
            items.dedup();
            let mut rows: Vec<u32> = answers.iter().map(|a| a.student).collect();
            rows.sort_unstable();
            rows.dedup();
            let column: HashMap<u32, usize> =
                items.iter().enumerate().map(|(i, &x)| (x, i)).collect();
            let row: HashMap<u32, usize> = rows.iter().enumerate().map(|(i, &x)| (x, i)).collect();
            let mut matrix = vec![vec![None; items.len()]; rows.len()];
            for a in answers {
                if let (Some(&r), Some(&c)) = (row.get(&a.student), column.get(&a.item)) {
                    matrix[r][c] = Some(a.correct);
                }
            }
            let Some(responses) = Responses::new(items.len(), matrix) else {
                continue;
            };
            let fit = irt::fit(&responses, Model::TwoPl);
            catalog.skills[k].items = fit
                .items
                .iter()
                .map(|e| (e.difficulty, e.discrimination))
                .collect();
            for (&s, e) in rows.iter().zip(&fit.abilities) {
                students[s as usize].ability[k] = Some((e.theta, e.sd));
            }
        }
    }

    /// The recency-weighted mean of each student's text vectors before `cut`
    /// (half-life as in the stored profiles).
    fn add_interests(&self, cut: i64, students: &mut [Student]) {
        let half_life = HALF_LIFE_DAYS * DAY as f64;
        let mut latest: Vec<Option<i64>> = vec![None; students.len()];
        for t in self.texts.iter().filter(|t| t.time < cut) {
            let l = &mut latest[t.student as usize];
            *l = Some(l.map_or(t.time, |x| x.max(t.time)));
        }
        let mut sums: Vec<Vec<f32>> = vec![Vec::new(); students.len()];
        for t in self.texts.iter().filter(|t| t.time < cut) {
            let (Some(v), Some(l)) = (
                self.vectors.get(t.vector as usize),
                latest[t.student as usize],
            ) else {
                continue;
            };
            let weight = 0.5f64.powf((l - t.time) as f64 / half_life) as f32;
            let sum = &mut sums[t.student as usize];
            if sum.is_empty() {
                *sum = vec![0.0; v.len()];
            }
            if sum.len() == v.len() {
                sum.iter_mut().zip(v).for_each(|(s, x)| *s += weight * x);
            }
        }
        for (student, mut sum) in students.iter_mut().zip(sums) {
            let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                sum.iter_mut().for_each(|x| *x /= norm);
                student.interest = Some(sum);
            }
        }
    }

    /// Per student, what they did with each resource in `[from, to)`:
    /// 1 opened, 2 completed.
    pub fn outcomes(&self, from: i64, to: i64) -> Vec<HashMap<usize, u8>> {
        let mut out = vec![HashMap::new(); self.students.len()];
        for v in self.views.iter().filter(|v| v.time >= from && v.time < to) {
            let e = out[v.student as usize]
                .entry(v.resource as usize)
                .or_insert(0u8);
            *e = (*e).max(if v.completed { 2 } else { 1 });
        }
        out
    }

    /// The events before `cut` only: what a school would have had then.
    pub fn before(&self, cut: i64) -> History {
        History {
            answers: self
                .answers
                .iter()
                .copied()
                .filter(|a| a.time < cut)
                .collect(),
            views: self
                .views
                .iter()
                .copied()
                .filter(|v| v.time < cut)
                .collect(),
            texts: self
                .texts
                .iter()
                .copied()
                .filter(|t| t.time < cut)
                .collect(),
            ..self.clone()
        }
    }
}

/// Per class, each skill's share of its students' recent work (counts per
/// student and skill in `work`).
pub fn class_shares(
    students: &[Student],
    work: &[HashMap<usize, f64>],
    classes: usize,
) -> Vec<HashMap<usize, f64>> {
    let mut shares: Vec<HashMap<usize, f64>> = vec![HashMap::new(); classes];
    for (student, work) in students.iter().zip(work) {
        if let Some(class) = shares.get_mut(student.class) {
            for (&k, &n) in work {
                *class.entry(k).or_insert(0.0) += n;
            }
        }
    }
    for class in &mut shares {
        let total: f64 = class.values().sum();
        class.values_mut().for_each(|v| *v /= total);
    }
    shares
}

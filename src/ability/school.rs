//! The school's abilities: one 2PL fit per skill over every student's first
//! attempt at each item, stored for the dashboard and `classlens ability`.
//! Refitted only when the answers changed since the last fit.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use serde::Serialize;

use super::irt::{self, Model, Responses};
use crate::store::ability::{AbilityRow, FirstAttempt, ItemRow};
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AbilityReport {
    /// False when the answers had not changed since the last fit.
    pub fitted: bool,
    pub skills: usize,
    pub items: usize,
    pub students: usize,
    /// Skills whose EM stopped at its round limit.
    pub not_converged: usize,
    pub seconds: f64,
}

/// Fits every skill again if the answers changed. Reads the first attempts
/// one skill at a time: a district's 7 million would otherwise all be in memory.
pub fn refresh(store: &mut Store) -> Result<AbilityReport, StoreError> {
    let started = Instant::now();
    let source = store.ability_source_now()?;
    if store.ability_source_stored()?.as_ref() == Some(&source) {
        return Ok(AbilityReport::default());
    }
    let mut fits = Fits::default();
    let mut skill: Vec<FirstAttempt> = Vec::new();
    store.for_each_first_attempt(|attempt| {
        if skill.last().is_some_and(|a| a.skill_id != attempt.skill_id) {
            fits.add_skill(&skill);
            skill.clear();
        }
        skill.push(attempt);
        Ok::<(), StoreError>(())
    })?;
    fits.add_skill(&skill);
    fits.report.fitted = true;
    fits.report.items = fits.items.len();
    fits.report.students = fits.students.len();
    store.save_abilities(&fits.items, &fits.abilities, &source)?;
    fits.report.seconds = started.elapsed().as_secs_f64();
    Ok(fits.report)
}

/// The estimates of the skills fitted so far.
#[derive(Default)]
struct Fits {
    items: Vec<ItemRow>,
    abilities: Vec<AbilityRow>,
    students: HashSet<String>,
    report: AbilityReport,
}

impl Fits {
    /// Fits one skill's first attempts (all of one skill_id).
    fn add_skill(&mut self, attempts: &[FirstAttempt]) {
        let Some(skill_id) = attempts.first().map(|a| a.skill_id.clone()) else {
            return;
        };
        let answers: Vec<&FirstAttempt> = attempts.iter().collect();
        let (fit, item_ids, student_ids) = fit_skill(&answers);
        self.report.skills += 1;
        self.report.not_converged += usize::from(!fit.converged);
        for (item_id, e) in item_ids.iter().zip(&fit.items) {
            self.items.push(ItemRow {
                item_id: item_id.to_string(),
                skill_id: skill_id.clone(),
                difficulty: e.difficulty,
                difficulty_se: e.difficulty_se,
                discrimination: e.discrimination,
                discrimination_se: e.discrimination_se,
                answered: i32::try_from(e.answered).unwrap_or(i32::MAX),
                p_correct: e.p_correct,
                infit: e.infit,
                outfit: e.outfit,
                flags: e
                    .flags
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(","),
            });
        }
        for (student_id, a) in student_ids.iter().zip(&fit.abilities) {
            if !self.students.contains(*student_id) {
                self.students.insert(student_id.to_string());
            }
            self.abilities.push(AbilityRow {
                student_id: student_id.to_string(),
                skill_id: skill_id.clone(),
                theta: a.theta,
                sd: a.sd,
                answered: i32::try_from(a.answered).unwrap_or(i32::MAX),
            });
        }
    }
}

/// First attempts grouped by skill (they arrive sorted by skill).
pub(crate) fn by_skill(attempts: &[FirstAttempt]) -> BTreeMap<&str, Vec<&FirstAttempt>> {
    let mut skills: BTreeMap<&str, Vec<&FirstAttempt>> = BTreeMap::new();
    for a in attempts {
        skills.entry(a.skill_id.as_str()).or_default().push(a);
    }
    skills
}

/// A skill's answers laid out as a matrix: item ids (sorted, the columns),
/// student ids (as they come, the rows) and each answer's (row, column). Hash
/// lookups: a district's skill has 50,000 students, and binary searches over
/// their ids were most of the refit.
pub(crate) struct SkillIndex<'a> {
    pub items: Vec<&'a str>,
    pub students: Vec<&'a str>,
    pub cells: Vec<(usize, usize)>,
}

impl<'a> SkillIndex<'a> {
    pub(crate) fn new(answers: &[&'a FirstAttempt]) -> SkillIndex<'a> {
        let mut items: Vec<&str> = answers.iter().map(|a| a.item_id.as_str()).collect();
        items.sort_unstable();
        items.dedup();
        let column: HashMap<&str, usize> =
            items.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut row_of: HashMap<&str, usize> = HashMap::new();
        let mut students: Vec<&str> = Vec::new();
        let cells = answers
            .iter()
            .map(|a| {
                let row = *row_of.entry(a.student_id.as_str()).or_insert_with(|| {
                    students.push(a.student_id.as_str());
                    students.len() - 1
                });
                // Every item id is a column: the columns were made from these answers.
                (row, column.get(a.item_id.as_str()).copied().unwrap_or(0))
            })
            .collect();
        SkillIndex {
            items,
            students,
            cells,
        }
    }

    /// An empty matrix of this shape.
    pub(crate) fn blank(&self) -> Vec<Vec<Option<bool>>> {
        vec![vec![None; self.items.len()]; self.students.len()]
    }
}

/// One skill's 2PL fit, with its items' and students' ids in matrix order.
fn fit_skill<'a>(answers: &[&'a FirstAttempt]) -> (irt::Fit, Vec<&'a str>, Vec<&'a str>) {
    let index = SkillIndex::new(answers);
    let mut matrix = index.blank();
    for (a, &(row, column)) in answers.iter().zip(&index.cells) {
        matrix[row][column] = Some(a.correct);
    }
    let responses = Responses::new(index.items.len(), matrix)
        .unwrap_or_else(|| unreachable!("every row was made with one cell per item"));
    (
        irt::fit(&responses, Model::TwoPl),
        index.items,
        index.students,
    )
}

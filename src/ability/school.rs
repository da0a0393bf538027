//! The school's abilities: one 2PL fit per skill over every student's first
//! attempt at each item, stored for the dashboard and `classlens ability`.
//! Refitted only when the answers changed since the last fit.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use serde::Serialize;

use super::irt::{self, Model, Responses};
use super::mastery::{self, TimedAnswer, Tracker};
use super::risk;
use crate::store::ability::{
    AbilityRow, AbilityTables, DriftRow, FirstAttempt, ItemRow, MasteryRow, RiskRow, TrendRow,
};
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
    /// Skills whose weekly forecasts were better with drift than without.
    pub drifting_skills: usize,
    /// Student-skill trends by direction: rising, falling.
    pub rising: usize,
    pub falling: usize,
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
    fits.report.items = fits.tables.items.len();
    fits.report.students = fits.students.len();
    store.save_abilities(&fits.tables, &source)?;
    fits.report.seconds = started.elapsed().as_secs_f64();
    Ok(fits.report)
}

/// The estimates of the skills fitted so far.
#[derive(Default)]
struct Fits {
    tables: AbilityTables,
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
        let (fit, index) = fit_skill(&answers);
        let (item_ids, student_ids) = (&index.items, &index.students);
        self.report.skills += 1;
        self.report.not_converged += usize::from(!fit.converged);
        for (item_id, e) in item_ids.iter().zip(&fit.items) {
            self.tables.items.push(ItemRow {
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
            self.tables.abilities.push(AbilityRow {
                student_id: student_id.to_string(),
                skill_id: skill_id.clone(),
                theta: a.theta,
                sd: a.sd,
                answered: i32::try_from(a.answered).unwrap_or(i32::MAX),
            });
        }
        self.add_mastery(&skill_id, &fit, &index, &answers);
    }

    /// Each student's weeks in the skill, with the drift its forecasts chose,
    /// and whether their ability changed.
    fn add_mastery(
        &mut self,
        skill_id: &str,
        fit: &irt::Fit,
        index: &SkillIndex<'_>,
        answers: &[&FirstAttempt],
    ) {
        let items: Vec<(f64, f64)> = fit
            .items
            .iter()
            .map(|e| (e.difficulty, e.discrimination))
            .collect();
        let mut by_student: Vec<Vec<TimedAnswer>> = vec![Vec::new(); index.students.len()];
        for (a, &(row, item)) in answers.iter().zip(&index.cells) {
            by_student[row].push(TimedAnswer {
                week: a.week,
                item,
                correct: a.correct,
            });
        }
        let choice = mastery::choose_drift(&items, &by_student);
        self.report.drifting_skills += usize::from(choice.chosen.drift > 0.0);
        let drift = choice.chosen.drift;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = by_student.len().div_ceil(threads).max(1);
        let students = &index.students;
        let parts: Vec<(Vec<MasteryRow>, Vec<TrendRow>)> = std::thread::scope(|scope| {
            let runs: Vec<_> = by_student
                .chunks(chunk)
                .enumerate()
                .map(|(part, timed)| {
                    let items = &items;
                    scope.spawn(move || {
                        let mut tracker = Tracker::new(items, drift);
                        let (mut weeks, mut trends) = (Vec::new(), Vec::new());
                        for (offset, answers) in timed.iter().enumerate() {
                            let student_id = students[part * chunk + offset];
                            for week in tracker.trajectory(answers) {
                                weeks.push(MasteryRow {
                                    student_id: student_id.to_string(),
                                    skill_id: skill_id.to_string(),
                                    week,
                                });
                            }
                            if let Some(trend) = tracker.trend(answers) {
                                trends.push(TrendRow {
                                    student_id: student_id.to_string(),
                                    skill_id: skill_id.to_string(),
                                    trend,
                                });
                            }
                        }
                        (weeks, trends)
                    })
                })
                .collect();
            runs.into_iter()
                .map(|run| run.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for (weeks, trends) in parts {
            for t in &trends {
                let direction = t.trend.direction;
                self.report.rising += usize::from(direction == mastery::Direction::Rising);
                self.report.falling += usize::from(direction == mastery::Direction::Falling);
            }
            self.tables.mastery.extend(weeks);
            self.tables.trends.extend(trends);
        }
        self.tables.drifts.push(DriftRow {
            skill_id: skill_id.to_string(),
            choice,
        });
    }
}

/// What the at-risk rules found.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RiskReport {
    /// Students with at least one flag.
    pub students: usize,
    pub low_ability: usize,
    pub falling: usize,
    pub disengaged: usize,
    pub seconds: f64,
}

/// Applies the at-risk rules to every student again: cheap, and activity
/// changes without new answers.
pub fn refresh_risk(store: &mut Store) -> Result<RiskReport, StoreError> {
    let started = Instant::now();
    let mut standings: HashMap<String, Vec<risk::SkillStanding>> = HashMap::new();
    for (student_id, standing) in store.risk_standings()? {
        standings.entry(student_id).or_default().push(standing);
    }
    let mut report = RiskReport::default();
    let mut rows = Vec::new();
    for (student_id, activity) in store.risk_activity(risk::HISTORY_WEEKS, risk::RECENT_WEEKS)? {
        let skills = standings.get(&student_id).map_or(&[][..], Vec::as_slice);
        let flags = risk::flags(skills, &activity);
        report.students += usize::from(!flags.is_empty());
        for flag in flags {
            match flag.rule {
                risk::Rule::LowAbility => report.low_ability += 1,
                risk::Rule::Falling => report.falling += 1,
                risk::Rule::Disengaged => report.disengaged += 1,
            }
            rows.push(RiskRow {
                student_id: student_id.clone(),
                rule: flag.rule.name().to_string(),
                skill_id: flag.skill_id,
                reason: flag.reason,
            });
        }
    }
    store.save_risk_flags(&rows)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
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

/// One skill's 2PL fit, with the matrix it was fitted on.
fn fit_skill<'a>(answers: &[&'a FirstAttempt]) -> (irt::Fit, SkillIndex<'a>) {
    let index = SkillIndex::new(answers);
    let mut matrix = index.blank();
    for (a, &(row, column)) in answers.iter().zip(&index.cells) {
        matrix[row][column] = Some(a.correct);
    }
    let responses = Responses::new(index.items.len(), matrix)
        .unwrap_or_else(|| unreachable!("every row was made with one cell per item"));
    (irt::fit(&responses, Model::TwoPl), index)
}

//! The learning path: which skills to work on next, in an order that puts
//! every prerequisite before the skills that need it, each with a resource.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::features::Prepared;
use super::ranker::{Overrides, Suggestion};
use super::{Context, MASTERED, Skill};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PathError {
    #[error(
        "the skill prerequisites form a cycle: {}; remove one of these rows from skill_prereqs",
        cycle.join(" needs ")
    )]
    Cycle { cycle: Vec<String> },
}

/// The skills in an order where each comes after its prerequisites (ties by
/// position), or the first cycle found, named skill by skill.
pub fn order(skills: &[Skill]) -> Result<Vec<usize>, PathError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; skills.len()];
    let mut out = Vec::with_capacity(skills.len());
    for root in 0..skills.len() {
        if marks[root] != Mark::New {
            continue;
        }
        // Depth-first, by hand: (skill, next prerequisite to look at).
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        marks[root] = Mark::Open;
        while let Some(&mut (skill, ref mut next)) = stack.last_mut() {
            let prereqs = &skills[skill].prereqs;
            if *next < prereqs.len() {
                let p = prereqs[*next];
                *next += 1;
                if p >= skills.len() {
                    continue;
                }
                match marks[p] {
                    Mark::New => {
                        marks[p] = Mark::Open;
                        stack.push((p, 0));
                    }
                    Mark::Open => {
                        let from = stack.iter().position(|s| s.0 == p).unwrap_or(0);
                        let mut cycle: Vec<String> = stack[from..]
                            .iter()
                            .map(|s| skills[s.0].id.clone())
                            .collect();
                        cycle.push(skills[p].id.clone());
                        return Err(PathError::Cycle { cycle });
                    }
                    Mark::Done => {}
                }
            } else {
                marks[skill] = Mark::Done;
                out.push(skill);
                stack.pop();
            }
        }
    }
    Ok(out)
}

/// The first cycle among `(skill, prerequisite)` edges, skill by skill and
/// back to its start; None when the graph has none. For ingest, which checks
/// edges by id before any are stored.
pub fn cycle_in(edges: &[(String, String)]) -> Option<Vec<String>> {
    let mut ids: Vec<&str> = edges
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let index = |id: &str| ids.binary_search(&id).unwrap_or(0);
    let mut skills: Vec<Skill> = ids
        .iter()
        .map(|id| Skill {
            id: id.to_string(),
            name: id.to_string(),
            prereqs: Vec::new(),
            items: Vec::new(),
        })
        .collect();
    for (skill, prereq) in edges {
        skills[index(skill)].prereqs.push(index(prereq));
    }
    skills.iter_mut().for_each(|s| s.prereqs.sort_unstable());
    match order(&skills) {
        Err(PathError::Cycle { cycle }) => Some(cycle),
        Ok(_) => None,
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Step {
    pub skill: usize,
    /// Expected share right now.
    pub mastery: f64,
    pub assessed: bool,
    pub why: String,
    /// The best-scored resource of the skill they have not completed.
    pub resource: Option<usize>,
}

/// Skills a path is built toward: what the student works on lately, else their weakest.
const TARGETS: usize = 3;
/// Longest path shown: beyond this a teacher re-plans anyway.
pub const MAX_STEPS: usize = 6;
/// Share of recent work that makes a skill "what they are working on".
const CURRENT_SHARE: f64 = 0.1;

/// The student's next skills, prerequisites first. `order` is from [`order`];
/// `scored` holds every resource's suggestion for this student, made with `prepared`.
pub fn learning_path(
    ctx: &Context,
    student: usize,
    prepared: &Prepared,
    order: &[usize],
    scored: &[Suggestion],
    overrides: &Overrides,
) -> Vec<Step> {
    let s = &ctx.students[student];
    let skills = &ctx.catalog.skills;
    let assessed = |k: usize| s.ability.get(k).copied().flatten().is_some();
    let unmastered = |k: usize| prepared.mastery[k] < MASTERED;
    let mut current: Vec<(usize, f64)> = s
        .recent_skills
        .iter()
        .filter(|(k, share)| **share >= CURRENT_SHARE && **k < skills.len())
        .map(|(k, share)| (*k, *share))
        .collect();
    current.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut targets: Vec<usize> = current
        .iter()
        .map(|c| c.0)
        .filter(|&k| unmastered(k) || skills[k].prereqs.iter().any(|&p| unmastered(p)))
        .take(TARGETS)
        .collect();
    let mut working_now = !targets.is_empty();
    // No work of their own lately (new, or away): what their class is on.
    let mut class_now = false;
    if !working_now {
        let mut class_current: Vec<(usize, f64)> = ctx
            .crowd
            .class_skills
            .get(s.class)
            .map(|shares| {
                shares
                    .iter()
                    .filter(|(k, share)| **share >= CURRENT_SHARE && **k < skills.len())
                    .map(|(k, share)| (*k, *share))
                    .collect()
            })
            .unwrap_or_default();
        class_current.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        targets = class_current
            .iter()
            .map(|c| c.0)
            .filter(|&k| unmastered(k) || skills[k].prereqs.iter().any(|&p| unmastered(p)))
            .take(TARGETS)
            .collect();
        class_now = !targets.is_empty();
        working_now = class_now;
    }
    if !working_now {
        let mut weakest: Vec<usize> = (0..skills.len())
            .filter(|&k| assessed(k) && unmastered(k))
            .collect();
        weakest.sort_by(|&a, &b| prepared.mastery[a].total_cmp(&prepared.mastery[b]));
        targets = weakest.into_iter().take(TARGETS).collect();
    }
    // Each target and every unmastered prerequisite under it, remembering
    // which target first needed it.
    let mut needed_for: HashMap<usize, usize> = HashMap::new();
    let mut wanted: BTreeSet<usize> = BTreeSet::new();
    for &t in &targets {
        let mut todo = vec![t];
        while let Some(k) = todo.pop() {
            if k >= skills.len() || !wanted.insert(k) {
                continue;
            }
            if k != t {
                needed_for.entry(k).or_insert(t);
            }
            // An unassessed prerequisite is a question for the teacher, not a step.
            todo.extend(
                skills[k]
                    .prereqs
                    .iter()
                    .copied()
                    .filter(|&p| assessed(p) && unmastered(p)),
            );
        }
    }
    let position: HashMap<usize, usize> = order.iter().enumerate().map(|(i, &k)| (k, i)).collect();
    let mut steps: Vec<usize> = wanted.into_iter().filter(|&k| unmastered(k)).collect();
    steps.sort_by_key(|k| position.get(k).copied().unwrap_or(usize::MAX));
    steps.truncate(MAX_STEPS);
    steps
        .into_iter()
        .map(|k| {
            let m = prepared.mastery[k];
            let pct = format!("{:.0}% expected right", 100.0 * m);
            let why = match needed_for.get(&k) {
                Some(&t) => format!(
                    "needed for {} ({})",
                    skills[t].name,
                    if assessed(k) {
                        pct
                    } else {
                        "not assessed yet".to_string()
                    }
                ),
                None if class_now && !assessed(k) => {
                    "their class is working on it now; not assessed yet".to_string()
                }
                None if class_now => format!("their class is working on it now ({pct})"),
                None if !assessed(k) => "not assessed yet".to_string(),
                None if working_now => format!("working on it now ({pct})"),
                None => format!("one of their weakest skills ({pct})"),
            };
            Step {
                skill: k,
                mastery: m,
                assessed: assessed(k),
                why,
                resource: best_resource(ctx, student, k, scored, overrides),
            }
        })
        .collect()
}

/// A pinned resource of the skill, else its best-scored one not completed nor hidden.
fn best_resource(
    ctx: &Context,
    student: usize,
    skill: usize,
    scored: &[Suggestion],
    overrides: &Overrides,
) -> Option<usize> {
    let of_skill = |r: usize| ctx.catalog.resources[r].skill == Some(skill);
    if let Some(&pin) = overrides.pins.iter().find(|&&r| of_skill(r)) {
        return Some(pin);
    }
    let done = &ctx.students[student].engagement;
    scored
        .iter()
        .filter(|s| of_skill(s.resource) && !overrides.hides.contains(&s.resource))
        .filter(|s| done.get(&s.resource).copied().unwrap_or(0) < 2)
        .max_by(|a, b| {
            a.score
                .total_cmp(&b.score)
                .then(b.resource.cmp(&a.resource))
        })
        .map(|s| s.resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(id: &str, prereqs: Vec<usize>) -> Skill {
        Skill {
            id: id.to_string(),
            name: id.to_string(),
            prereqs,
            items: vec![(0.0, 1.0)],
        }
    }

    #[test]
    fn prerequisites_come_first() {
        let skills = vec![skill("c", vec![1]), skill("b", vec![2]), skill("a", vec![])];
        assert_eq!(order(&skills), Ok(vec![2, 1, 0]));
    }

    #[test]
    fn a_cycle_is_named_skill_by_skill() {
        let skills = vec![
            skill("root", vec![]),
            skill("x", vec![2]),
            skill("y", vec![3]),
            skill("z", vec![1, 0]),
        ];
        let err = order(&skills).err();
        let Some(PathError::Cycle { cycle }) = err else {
            panic!("no cycle found: {err:?}");
        };
        assert_eq!(cycle, ["x", "y", "z", "x"]);
        let message = PathError::Cycle { cycle }.to_string();
        assert!(message.contains("x needs y needs z needs x"), "{message}");
    }

    #[test]
    fn cycles_are_found_from_edges_by_id() {
        let edge = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(cycle_in(&[edge("b", "a"), edge("c", "b")]), None);
        assert_eq!(
            cycle_in(&[edge("b", "a"), edge("c", "b"), edge("a", "c")]),
            Some(vec!["a".into(), "c".into(), "b".into(), "a".into()])
        );
        assert_eq!(
            cycle_in(&[edge("a", "a")]),
            Some(vec!["a".into(), "a".into()])
        );
    }
}

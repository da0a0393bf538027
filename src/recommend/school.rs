//! The school's suggestions: the ranker trained on the school's own recent
//! weeks, every student's suggestions and learning path, stored for the
//! dashboard and `classlens recommend`; and offline evaluation on its history.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;

use super::evaluate::{self, Evaluation, Split};
use super::features::{FEATURES, Prepared};
use super::history::{Answer, History, Text, View};
use super::path::{self, PathError, Step};
use super::ranker::{self, Overrides, Ranker, Settings, Suggestion};
use super::{CLASS_DAYS, Catalog, Context, Crowd, Kind, RECENT_DAYS, Resource, Skill, Student};
use crate::store::recommend::{
    Action, InputRow, PathRow, RankerRow, RankerSource, RecommendationRow, Signals,
};
use crate::store::{Store, StoreError};

const DAY: i64 = 86_400;
/// Students the ranker trains on at most: beyond this, a sample.
const TRAIN_STUDENTS: usize = 3000;
/// Suggestions stored per student.
pub const STORED: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum RecommendError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("no student {0:?} in the database")]
    UnknownStudent(String),
    #[error("no suggestions yet: run `classlens analyze` first")]
    NotAnalysed,
    #[error("too little history to evaluate: {0}")]
    TooShort(String),
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RecommendReport {
    pub students: usize,
    pub suggestions: usize,
    pub path_steps: usize,
    /// Rows and completions the ranker learned from (0: it uses the prior).
    pub trained_rows: usize,
    pub trained_completions: usize,
    pub pins: usize,
    pub hides: usize,
    pub seconds: f64,
}

/// Skills (with their prerequisites and fitted items) and resources (with
/// their vectors from `model`), in id order.
pub fn catalog(store: &Store, model: &str) -> Result<Catalog, RecommendError> {
    let mut catalog = catalog_without_vectors(store)?;
    let rows = store.resource_rows(true)?;
    let hashes: Vec<String> = rows
        .iter()
        .map(|r| crate::text::text_hash(&crate::text::normalise(&r.text)))
        .collect();
    let wanted: Vec<&str> = hashes.iter().map(String::as_str).collect();
    let vectors = store.vectors(model, &wanted)?;
    let by_id: HashMap<&str, &String> = rows
        .iter()
        .zip(&hashes)
        .map(|(r, h)| (r.resource_id.as_str(), h))
        .collect();
    for r in &mut catalog.resources {
        r.vector = by_id
            .get(r.id.as_str())
            .and_then(|h| vectors.get(*h))
            .cloned();
    }
    Ok(catalog)
}

fn catalog_without_vectors(store: &Store) -> Result<Catalog, RecommendError> {
    let mut skills: Vec<Skill> = store
        .skill_names()?
        .into_iter()
        .map(|(id, name)| Skill {
            id,
            name,
            prereqs: Vec::new(),
            items: Vec::new(),
        })
        .collect();
    let index: HashMap<String, usize> = skills
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.clone(), i))
        .collect();
    for (skill, prereq) in store.prereq_edges()? {
        if let (Some(&k), Some(&p)) = (index.get(&skill), index.get(&prereq)) {
            skills[k].prereqs.push(p);
        }
    }
    for (skill, b, a) in store.fitted_items()? {
        if let Some(&k) = index.get(&skill) {
            skills[k].items.push((b, a));
        }
    }
    let resources = store
        .resource_rows(false)?
        .into_iter()
        .map(|r| Resource {
            skill: r.skill_id.as_ref().and_then(|s| index.get(s).copied()),
            id: r.resource_id,
            title: r.title,
            kind: Kind::parse(&r.kind),
            difficulty: r.difficulty,
            vector: None,
        })
        .collect();
    Ok(Catalog { skills, resources })
}

/// (student id, class index) pairs, and the class ids by index.
type Roster = (Vec<(String, usize)>, Vec<String>);

/// The students with their class indices; `sample` as in the store's history queries.
fn students(store: &Store, sample: u64) -> Result<Roster, RecommendError> {
    let mut classes: HashMap<String, usize> = HashMap::new();
    let mut class_ids = Vec::new();
    let students = store
        .students_with_class(sample)?
        .into_iter()
        .map(|(id, class)| {
            let c = *classes.entry(class.clone()).or_insert_with(|| {
                class_ids.push(class);
                class_ids.len() - 1
            });
            (id, c)
        })
        .collect();
    Ok((students, class_ids))
}

/// The raw history of (a sample of one in `sample` of) the students.
pub fn history(store: &Store, model: &str, sample: u64) -> Result<History, RecommendError> {
    let mut catalog = catalog(store, model)?;
    catalog.skills.iter_mut().for_each(|s| s.items.clear());
    let (students, class_ids) = students(store, sample)?;
    let classes = class_ids.len();
    let student_index: HashMap<&str, u32> = students
        .iter()
        .enumerate()
        .map(|(i, s)| (s.0.as_str(), i as u32))
        .collect();
    let skill_index = catalog.skill_index();
    let item_rows = store.item_skills()?;
    let item_index: HashMap<&str, u32> = item_rows
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i as u32))
        .collect();
    let item_skills: Vec<usize> = item_rows
        .iter()
        .map(|(_, skill)| {
            skill_index
                .get(skill.as_str())
                .copied()
                .unwrap_or(usize::MAX)
        })
        .collect();
    let answers = store
        .history_answers(sample)?
        .into_iter()
        .filter_map(|(s, item, (time, correct))| {
            Some(Answer {
                student: *student_index.get(s.as_str())?,
                item: *item_index.get(item.as_str())?,
                time,
                correct,
            })
        })
        .collect();
    let resource_index = catalog.resource_index();
    let views = store
        .history_views(sample)?
        .into_iter()
        .filter_map(|(s, r, (time, completed))| {
            Some(View {
                student: *student_index.get(s.as_str())?,
                resource: *resource_index.get(r.as_str())? as u32,
                time,
                completed,
            })
        })
        .collect();
    let ids: Vec<String> = students.iter().map(|s| s.0.clone()).collect();
    let texts = store.student_texts(Some(&ids))?;
    let hashes: Vec<&str> = texts.iter().map(|t| t.text_hash.as_str()).collect();
    let by_hash = store.vectors(model, &hashes)?;
    // As the stored profiles count them (texts in another encoder's space by their skill).
    let topics = crate::text::insights::stored_topics(store, model)?;
    let mut vector_index: HashMap<*const f32, u32> = HashMap::new();
    let mut vectors = Vec::new();
    let mut timed = Vec::new();
    for t in &texts {
        let (Some(&student), Some(v)) = (
            student_index.get(t.student_id.as_str()),
            crate::text::insights::interest_vector(t, &by_hash, Some(&topics)),
        ) else {
            continue;
        };
        // One copy per distinct vector (the same text, or the same skill's prototype).
        let vector = *vector_index.entry(v.as_ptr()).or_insert_with(|| {
            vectors.push(v.to_vec());
            (vectors.len() - 1) as u32
        });
        timed.push(Text {
            student,
            time: t.time,
            vector,
        });
    }
    Ok(History {
        catalog,
        item_skills,
        students,
        classes,
        answers,
        views,
        texts: timed,
        vectors,
    })
}

/// Everything known now, from the analysed tables: the same [`Context`] a
/// [`History`] gives just after its last event.
pub fn context_now(store: &Store, model: &str) -> Result<Now, RecommendError> {
    let catalog = catalog(store, model)?;
    let (ids, class_ids) = students(store, 1)?;
    let classes = class_ids.len();
    let index: HashMap<String, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.0.clone(), i))
        .collect();
    let skill_index = catalog.skill_index();
    let resource_index = catalog.resource_index();
    let mut students: Vec<Student> = ids
        .iter()
        .map(|(id, class)| Student::new(id, *class, catalog.skills.len()))
        .collect();
    let mut crowd = Crowd::empty(catalog.resources.len(), classes);
    for (_, c) in &ids {
        crowd.class_sizes[*c] += 1;
    }
    for (s, k, theta, sd) in store.stored_abilities()? {
        if let (Some(&s), Some(&k)) = (index.get(&s), skill_index.get(k.as_str())) {
            students[s].ability[k] = Some((theta, sd));
        }
    }
    for (s, vector) in store.interest_vectors(model)? {
        if let Some(&s) = index.get(&s) {
            students[s].interest = Some(vector);
        }
    }
    for (s, r, completed) in store.engagement()? {
        if let (Some(&s), Some(&r)) = (index.get(&s), resource_index.get(r.as_str())) {
            students[s]
                .engagement
                .insert(r, if completed { 2 } else { 1 });
            crowd.completions[r] += u32::from(completed);
        }
    }
    let now = store.latest_event()?;
    if let Some(now) = now {
        let since = now + 1 - RECENT_DAYS * DAY;
        let mut work: Vec<HashMap<usize, f64>> = vec![HashMap::new(); students.len()];
        for (s, r, views) in store.recent_views(since)? {
            if let (Some(&s), Some(&r)) = (index.get(&s), resource_index.get(r.as_str())) {
                students[s].recent_resources.push(r);
                *crowd.class_recent[students[s].class].entry(r).or_insert(0) += 1;
                if let Some(k) = catalog.resources[r].skill {
                    *work[s].entry(k).or_insert(0.0) += views as f64;
                }
            }
        }
        for (s, k, answers) in store.recent_answers(since)? {
            if let (Some(&s), Some(&k)) = (index.get(&s), skill_index.get(k.as_str())) {
                *work[s].entry(k).or_insert(0.0) += answers as f64;
            }
        }
        let since = now + 1 - CLASS_DAYS * DAY;
        let mut class_work: Vec<HashMap<usize, f64>> = vec![HashMap::new(); students.len()];
        for (s, r, views) in store.recent_views(since)? {
            if let (Some(&s), Some(k)) = (
                index.get(&s),
                resource_index
                    .get(r.as_str())
                    .and_then(|&r| catalog.resources[r].skill),
            ) {
                *class_work[s].entry(k).or_insert(0.0) += views as f64;
            }
        }
        for (s, k, answers) in store.recent_answers(since)? {
            if let (Some(&s), Some(&k)) = (index.get(&s), skill_index.get(k.as_str())) {
                *class_work[s].entry(k).or_insert(0.0) += answers as f64;
            }
        }
        crowd.class_skills = super::history::class_shares(&students, &class_work, classes);
        for (student, work) in students.iter_mut().zip(work) {
            let total: f64 = work.values().sum();
            student.recent_skills = work.into_iter().map(|(k, c)| (k, c / total)).collect();
        }
    }
    crowd.interest_means = Crowd::interest_means(&catalog, &students);
    Ok(Now {
        ctx: Context {
            catalog,
            students,
            crowd,
        },
        latest: now,
        class_ids,
    })
}

/// The school as of its latest event.
pub struct Now {
    pub ctx: Context,
    /// Epoch seconds of the latest event, if any.
    pub latest: Option<i64>,
    /// Class ids by the index `Student::class` holds.
    pub class_ids: Vec<String>,
}

/// One student's context, from what the last analysis stored about everyone
/// else: a handful of small reads, for suggestions on demand.
pub fn context_for(store: &Store, student_id: &str) -> Result<Context, RecommendError> {
    let inputs = store.student_inputs(student_id)?;
    let Some((class_id, class_size)) = inputs
        .iter()
        .find(|i| i.0 == "class")
        .and_then(|i| Some((i.1.clone()?, i.2.unwrap_or(0.0))))
    else {
        // Not there when analyze last ran (or not at all).
        return Err(match store.student_class(student_id)? {
            Some(_) => RecommendError::NotAnalysed,
            None => RecommendError::UnknownStudent(student_id.to_string()),
        });
    };
    let mut catalog = catalog_without_vectors(store)?;
    let signals = store.resource_signals()?;
    let resource_index: HashMap<String, usize> = catalog
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    let mut crowd = Crowd::empty(catalog.resources.len(), 1);
    crowd.class_sizes[0] = class_size as u32;
    for (r, completions, interest_mean, vector) in signals {
        if let Some(&r) = resource_index.get(&r) {
            crowd.completions[r] = u32::try_from(completions).unwrap_or(0);
            crowd.interest_means[r] = interest_mean;
            catalog.resources[r].vector = vector;
        }
    }
    for (r, students) in store.class_recent_opens(&class_id)? {
        if let Some(&r) = resource_index.get(&r) {
            crowd.class_recent[0].insert(r, u32::try_from(students).unwrap_or(0));
        }
    }
    let skill_index: HashMap<String, usize> = catalog
        .skills
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.clone(), i))
        .collect();
    for (k, share) in store.class_recent_skills(&class_id)? {
        if let Some(&k) = skill_index.get(&k) {
            crowd.class_skills[0].insert(k, share);
        }
    }
    let mut student = Student::new(student_id, 0, catalog.skills.len());
    for (kind, key, x, y, vector) in inputs {
        let skill = key.as_deref().and_then(|k| skill_index.get(k)).copied();
        let resource = key.as_deref().and_then(|k| resource_index.get(k)).copied();
        match (kind.as_str(), skill, resource) {
            ("ability", Some(k), _) => {
                student.ability[k] = x.zip(y);
            }
            ("engaged", _, Some(r)) => {
                student.engagement.insert(r, x.map_or(1, |l| l as u8));
            }
            ("recent_skill", Some(k), _) => {
                student.recent_skills.insert(k, x.unwrap_or(0.0));
            }
            ("recent_resource", _, Some(r)) => student.recent_resources.push(r),
            ("interest", _, _) => student.interest = vector,
            _ => {}
        }
    }
    Ok(Context {
        catalog,
        students: vec![student],
        crowd,
    })
}

/// The ranker learned from the school's last two weeks: features as they
/// were two weeks before the latest event, labelled by what was completed since.
pub fn train(store: &Store, model: &str) -> Result<(Ranker, usize), RecommendError> {
    let students = store.students_with_class(1)?.len();
    let sample = students.div_ceil(TRAIN_STUDENTS).max(1) as u64;
    let history = history(store, model, sample)?;
    let Some((_, last)) = history.span() else {
        return Ok((Ranker::prior(), 0));
    };
    let cut = last + 1 - RECENT_DAYS * DAY;
    let rows = evaluate::training_rows(&history, cut, last + 1);
    Ok((Ranker::train(&rows), rows.len()))
}

/// Pins and hides by student index.
fn overrides_by_student(
    store: &Store,
    ctx: &Context,
    only: Option<&str>,
) -> Result<(HashMap<usize, Overrides>, usize, usize), RecommendError> {
    let students: HashMap<&str, usize> = ctx
        .students
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let resources = ctx.catalog.resource_index();
    let mut out: HashMap<usize, Overrides> = HashMap::new();
    let (mut pins, mut hides) = (0, 0);
    for (s, r, action) in store.overrides(only)? {
        let (Some(&s), Some(&r)) = (students.get(s.as_str()), resources.get(r.as_str())) else {
            continue;
        };
        let o = out.entry(s).or_default();
        match action {
            Action::Pin => {
                o.pins.push(r);
                pins += 1;
            }
            Action::Hide => {
                o.hides.insert(r);
                hides += 1;
            }
        }
    }
    Ok((out, pins, hides))
}

/// One student's suggestions and path.
pub struct ForStudent {
    pub suggestions: Vec<Suggestion>,
    pub path: Vec<Step>,
}

pub fn for_student(
    ctx: &Context,
    student: usize,
    ranker: &Ranker,
    settings: &Settings,
    overrides: &Overrides,
    order: &[usize],
    k: usize,
) -> ForStudent {
    let prepared = Prepared::new(ctx, &ctx.students[student]);
    let scored = ranker::score_prepared(ctx, student, &prepared, ranker, settings);
    let path = path::learning_path(ctx, student, &prepared, order, &scored, overrides);
    let suggestions = ranker::pick(&ctx.catalog, scored, overrides, k, settings.diversity);
    ForStudent { suggestions, path }
}

/// Trains the ranker and stores every student's suggestions and path.
pub fn refresh(
    store: &mut Store,
    model: &str,
    settings: &Settings,
) -> Result<RecommendReport, RecommendError> {
    let started = Instant::now();
    let Now {
        ctx,
        latest: now,
        class_ids,
    } = context_now(store, model)?;
    let order = path::order(&ctx.catalog.skills)?;
    let (ranker, trained_rows) = train(store, model)?;
    let (overrides, pins, hides) = overrides_by_student(store, &ctx, None)?;
    let none = Overrides::default();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = ctx.students.len().div_ceil(threads).max(1);
    let parts: Vec<(Vec<RecommendationRow>, Vec<PathRow>)> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..ctx.students.len())
            .step_by(chunk)
            .map(|from| {
                let (ctx, ranker, order, overrides, none) =
                    (&ctx, &ranker, &order, &overrides, &none);
                scope.spawn(move || {
                    let (mut recs, mut paths) = (Vec::new(), Vec::new());
                    for s in from..(from + chunk).min(ctx.students.len()) {
                        let o = overrides.get(&s).unwrap_or(none);
                        let made = for_student(ctx, s, ranker, settings, o, order, STORED);
                        let id = &ctx.students[s].id;
                        recs.extend(rows_of(ctx, id, &made.suggestions));
                        paths.extend(path_rows(ctx, id, &made.path));
                    }
                    (recs, paths)
                })
            })
            .collect();
        runs.into_iter()
            .map(|run| run.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let (mut recs, mut paths) = (Vec::new(), Vec::new());
    for (r, p) in parts {
        recs.extend(r);
        paths.extend(p);
    }
    let mut weights: Vec<RankerRow> = FEATURES
        .iter()
        .enumerate()
        .map(|(j, f)| RankerRow {
            feature: f.name().to_string(),
            weight: ranker.weights[j],
            mean: ranker.means[j],
            scale: ranker.scales[j],
        })
        .collect();
    weights.push(RankerRow {
        feature: "bias".to_string(),
        weight: ranker.bias,
        mean: 0.0,
        scale: 1.0,
    });
    let signals = Signals {
        resources: ctx
            .catalog
            .resources
            .iter()
            .zip(&ctx.crowd.completions)
            .zip(&ctx.crowd.interest_means)
            .map(|((r, &c), &mean)| (r.id.clone(), i64::from(c), mean, r.vector.clone()))
            .collect(),
        class_opens: by_class(&ctx.crowd.class_recent, &class_ids, |r| {
            ctx.catalog.resources[r].id.clone()
        })
        .map(|(c, r, n)| (c, r, i64::from(n)))
        .collect(),
        class_skills: by_class(&ctx.crowd.class_skills, &class_ids, |k| {
            ctx.catalog.skills[k].id.clone()
        })
        .collect(),
    };
    let source = RankerSource {
        model: model.to_string(),
        examples: ranker.examples as i64,
        completions: ranker.positives as i64,
        gap_priority: settings.gap_priority,
        diversity: settings.diversity,
        as_of: now,
    };
    let inputs = ctx.students.iter().flat_map(|s| {
        let class = (&class_ids[s.class], ctx.crowd.class_sizes[s.class]);
        inputs_of(&ctx.catalog, s, class)
    });
    store.save_recommendations(&recs, &paths, &weights, &source, &signals, inputs)?;
    Ok(RecommendReport {
        students: ctx.students.len(),
        suggestions: recs.len(),
        path_steps: paths.len(),
        trained_rows,
        trained_completions: ranker.positives,
        pins,
        hides,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A student's own inputs as rows (see queries/schema/010_recommend_inputs.sql),
/// written in student order; [`context_for`] reads them back.
fn inputs_of(catalog: &Catalog, s: &Student, class: (&String, u32)) -> Vec<InputRow> {
    let (skills, resources) = (&catalog.skills, &catalog.resources);
    let row = |kind, key: Option<&String>, x, y| InputRow {
        student_id: s.id.clone(),
        kind,
        key: key.cloned(),
        x,
        y,
        vector: None,
    };
    let mut rows = vec![row("class", Some(class.0), Some(f64::from(class.1)), None)];
    for (k, a) in s.ability.iter().enumerate() {
        if let Some((theta, sd)) = a {
            rows.push(row("ability", Some(&skills[k].id), Some(*theta), Some(*sd)));
        }
    }
    for (&r, &level) in &s.engagement {
        rows.push(row(
            "engaged",
            Some(&resources[r].id),
            Some(f64::from(level)),
            None,
        ));
    }
    for (&k, &share) in &s.recent_skills {
        rows.push(row("recent_skill", Some(&skills[k].id), Some(share), None));
    }
    for &r in &s.recent_resources {
        rows.push(row("recent_resource", Some(&resources[r].id), None, None));
    }
    if let Some(v) = &s.interest {
        rows.push(InputRow {
            vector: Some(v.clone()),
            ..row("interest", None, None, None)
        });
    }
    rows
}

/// Per-class maps flattened to (class id, key's id, value) rows.
fn by_class<'a, V: Copy + 'a>(
    maps: &'a [HashMap<usize, V>],
    class_ids: &'a [String],
    id_of: impl Fn(usize) -> String + Copy + 'a,
) -> impl Iterator<Item = (String, String, V)> + 'a {
    maps.iter().zip(class_ids).flat_map(move |(map, class)| {
        map.iter()
            .map(move |(&key, &value)| (class.clone(), id_of(key), value))
    })
}

pub fn rows_of(
    ctx: &Context,
    student_id: &str,
    suggestions: &[Suggestion],
) -> Vec<RecommendationRow> {
    suggestions
        .iter()
        .enumerate()
        .map(|(rank, s)| RecommendationRow {
            student_id: student_id.to_string(),
            rank: rank as i32 + 1,
            resource_id: ctx.catalog.resources[s.resource].id.clone(),
            score: s.score,
            pinned: s.pinned,
            predicted_success: s.facts.success,
            mastery: s.facts.mastery,
            contributions: s.contributions,
            reasons: ranker::reasons(&ctx.catalog, s).join("; "),
        })
        .collect()
}

fn path_rows(ctx: &Context, student_id: &str, steps: &[Step]) -> Vec<PathRow> {
    steps
        .iter()
        .enumerate()
        .map(|(i, step)| PathRow {
            student_id: student_id.to_string(),
            step: i as i32 + 1,
            skill_id: ctx.catalog.skills[step.skill].id.clone(),
            mastery: step.mastery,
            assessed: step.assessed,
            resource_id: step.resource.map(|r| ctx.catalog.resources[r].id.clone()),
            why: step.why.clone(),
        })
        .collect()
}

/// One student's suggestions made now with the stored ranker, from what the
/// last analysis stored about everyone else; with the context they came from.
pub fn on_demand(
    store: &Store,
    student_id: &str,
    k: usize,
) -> Result<(ForStudent, Context), RecommendError> {
    let Some((ranker, settings)) = stored_ranker(store)? else {
        return Err(RecommendError::NotAnalysed);
    };
    let ctx = context_for(store, student_id)?;
    let order = path::order(&ctx.catalog.skills)?;
    let (overrides, _, _) = overrides_by_student(store, &ctx, Some(student_id))?;
    let o = overrides.get(&0).cloned().unwrap_or_default();
    let made = for_student(&ctx, 0, &ranker, &settings, &o, &order, k);
    Ok((made, ctx))
}

/// [`on_demand`], stored in place of the student's suggestions (after a pin or hide).
pub fn refresh_student(store: &mut Store, student_id: &str) -> Result<ForStudent, RecommendError> {
    let (made, ctx) = on_demand(store, student_id, STORED)?;
    let recs = rows_of(&ctx, student_id, &made.suggestions);
    let paths = path_rows(&ctx, student_id, &made.path);
    store.replace_student_recommendations(student_id, &recs, &paths)?;
    Ok(made)
}

/// The ranker and settings the last analysis used, if it made suggestions.
pub fn stored_ranker(store: &Store) -> Result<Option<(Ranker, Settings)>, RecommendError> {
    let Some(source) = store.ranker_source()? else {
        return Ok(None);
    };
    let mut ranker = Ranker::prior();
    ranker.examples = source.examples as usize;
    ranker.positives = source.completions as usize;
    for row in store.ranker_weights()? {
        if row.feature == "bias" {
            ranker.bias = row.weight;
        } else if let Some(j) = FEATURES.iter().position(|f| f.name() == row.feature) {
            ranker.weights[j] = row.weight;
            ranker.means[j] = row.mean;
            ranker.scales[j] = row.scale;
        }
    }
    Ok(Some((
        ranker,
        Settings {
            gap_priority: source.gap_priority,
            diversity: source.diversity,
        },
    )))
}

/// Offline evaluation on the school's own history: the last `weeks` held out.
pub fn evaluate(
    store: &Store,
    model: &str,
    weeks: i64,
    k: usize,
    a: Settings,
    b: Settings,
    sample: u64,
) -> Result<Evaluation, RecommendError> {
    let history = history(store, model, sample)?;
    let split = Split::last_weeks(&history, weeks).ok_or_else(|| {
        RecommendError::TooShort(format!(
            "holding out {weeks} weeks and training on the {weeks} before needs more than {} weeks of events",
            2 * weeks
        ))
    })?;
    Ok(evaluate::evaluate(&history, split, k, a, b))
}

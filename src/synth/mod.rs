//! The demo school: a seeded, realistic synthetic school with recorded ground truth.
//!
//! Students have latent abilities per skill that grow over the term, interests
//! in themes, engagement that may fade. Responses follow a 2PL model of those
//! abilities; views follow interests and difficulty fit; comments and searches
//! are written from a phrase bank with known sentiment and topic. Everything is
//! written as CSV exports and loaded through the same ingest as real data; the
//! truth goes to `truth_*` tables.

pub mod calendar;
mod content;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, LogNormal, Normal, Poisson};

pub use content::THEMES;
use content::{Content, Names};

/// The term simulated: 18 weeks from Monday 2 February 2026.
pub const TERM_START: (i64, u32, u32) = (2026, 2, 2);
pub const TERM_WEEKS: u32 = 18;
pub const STUDENTS_PER_CLASS: u32 = 30;
/// Student ids are `s` and six digits.
pub const MAX_STUDENTS: u32 = 999_999;

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("demo content: {0}")]
    Content(String),
    #[error("writing {}: {source}", path.display())]
    Write { path: PathBuf, source: csv::Error },
    #[error("at most {MAX_STUDENTS} students, asked for {0}")]
    TooMany(u32),
}

#[derive(Debug, Clone, Copy)]
pub struct DemoSpec {
    pub students: u32,
    pub seed: u64,
    /// Share of the students who write their comments and searches in Chinese.
    pub chinese_share: f64,
}

/// The stream (beside each student's own) that decides who writes in Chinese,
/// so that the share changes nothing else about the school.
const LANGUAGE_STREAM: u64 = 0x7a68_0000;

/// Files written, in the order ingest should read them, with their row counts.
#[derive(Debug)]
pub struct Generated {
    pub files: Vec<(PathBuf, u64)>,
}

struct SkillSim {
    id: String,
    subject: usize,
    topics: Vec<String>,
    prereqs: Vec<usize>,
    depth: u32,
    items: Vec<usize>,
    resources: Vec<usize>,
    /// Weeks during which the skill is taught.
    taught: (f64, f64),
}

struct ItemSim {
    id: String,
    /// Written to be ambiguous: discrimination near zero or negative.
    misbehaving: bool,
    a: f64,
    b: f64,
    level: u8,
}

struct ResourceSim {
    id: String,
    kind: &'static str,
    minutes: f64,
    difficulty: f64,
    theme: Option<usize>,
}

struct School {
    subjects: Vec<String>,
    skills: Vec<SkillSim>,
    items: Vec<ItemSim>,
    resources: Vec<ResourceSim>,
}

/// One CSV file being written.
struct Sheet {
    path: PathBuf,
    writer: csv::Writer<File>,
    rows: u64,
}

impl Sheet {
    /// Ground truth goes to `truth/` below the exports, so that the export
    /// folder itself ingests like a real school's.
    fn create(dir: &Path, name: &str, header: &[&str]) -> Result<Sheet, SynthError> {
        let dir = if name.starts_with("truth_") {
            dir.join("truth")
        } else {
            dir.to_path_buf()
        };
        std::fs::create_dir_all(&dir).map_err(|source| SynthError::Write {
            path: dir.clone(),
            source: csv::Error::from(source),
        })?;
        let path = dir.join(format!("{name}.csv"));
        let writer = csv::Writer::from_path(&path).map_err(|source| SynthError::Write {
            path: path.clone(),
            source,
        })?;
        let mut sheet = Sheet {
            path,
            writer,
            rows: 0,
        };
        sheet.write(header)?;
        sheet.rows = 0;
        Ok(sheet)
    }

    fn write<I, T>(&mut self, record: I) -> Result<(), SynthError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.rows += 1;
        self.writer
            .write_record(record)
            .map_err(|source| SynthError::Write {
                path: self.path.clone(),
                source,
            })
    }

    fn finish(mut self) -> Result<(PathBuf, u64), SynthError> {
        self.writer.flush().map_err(|e| SynthError::Write {
            path: self.path.clone(),
            source: csv::Error::from(e),
        })?;
        Ok((self.path, self.rows))
    }
}

/// The event and truth files, written student by student.
struct Sheets {
    students: Sheet,
    responses: Sheet,
    views: Sheet,
    navigation: Sheet,
    searches: Sheet,
    comments: Sheet,
    truth_students: Sheet,
    truth_abilities: Sheet,
    truth_interests: Sheet,
    truth_comments: Sheet,
    truth_searches: Sheet,
}

impl Sheets {
    fn create(dir: &Path) -> Result<Sheets, SynthError> {
        Ok(Sheets {
            students: Sheet::create(
                dir,
                "students",
                &["student_id", "class_id", "display_name", "external_id"],
            )?,
            responses: Sheet::create(
                dir,
                "responses",
                &[
                    "student_id",
                    "item_id",
                    "time",
                    "correct",
                    "seconds",
                    "attempt",
                ],
            )?,
            views: Sheet::create(
                dir,
                "views",
                &[
                    "student_id",
                    "resource_id",
                    "time",
                    "watched_seconds",
                    "completed",
                ],
            )?,
            navigation: Sheet::create(
                dir,
                "navigation",
                &["student_id", "time", "from_page", "to_page"],
            )?,
            searches: Sheet::create(dir, "searches", &["student_id", "time", "query"])?,
            comments: Sheet::create(
                dir,
                "comments",
                &["comment_id", "student_id", "resource_id", "time", "text"],
            )?,
            truth_students: Sheet::create(
                dir,
                "truth_students",
                &[
                    "student_id",
                    "general_ability",
                    "engagement",
                    "disengaged_from_week",
                ],
            )?,
            truth_abilities: Sheet::create(
                dir,
                "truth_abilities",
                &["student_id", "skill_id", "theta_start", "growth_per_week"],
            )?,
            truth_interests: Sheet::create(
                dir,
                "truth_interests",
                &["student_id", "theme", "weight"],
            )?,
            truth_comments: Sheet::create(
                dir,
                "truth_comments",
                &[
                    "comment_id",
                    "sentiment",
                    "skill_id",
                    "language",
                    "mentions_topic",
                    "meaning",
                ],
            )?,
            truth_searches: Sheet::create(
                dir,
                "truth_searches",
                &["student_id", "time", "query", "skill_id", "theme"],
            )?,
        })
    }

    fn finish(self) -> Result<Vec<(PathBuf, u64)>, SynthError> {
        [
            self.students,
            self.responses,
            self.views,
            self.navigation,
            self.searches,
            self.comments,
            self.truth_students,
            self.truth_abilities,
            self.truth_interests,
            self.truth_comments,
            self.truth_searches,
        ]
        .into_iter()
        .map(Sheet::finish)
        .collect()
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn normal(mean: f64, sd: f64) -> Normal<f64> {
    // Only called with constant, positive standard deviations.
    Normal::new(mean, sd).unwrap_or_else(|_| unreachable!("sd {sd} is positive"))
}

/// Writes the demo school as CSV exports into `dir`.
pub fn generate(
    spec: &DemoSpec,
    dir: &Path,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Generated, SynthError> {
    if spec.students > MAX_STUDENTS {
        return Err(SynthError::TooMany(spec.students));
    }
    let content = Content::load()?;
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let school = build_school(&content, &mut rng);
    let mut files = write_catalog(&content, &school, spec, dir)?;

    let classes = spec.students.div_ceil(STUDENTS_PER_CLASS).max(1);
    let class_effects: Vec<f64> = (0..classes)
        .map(|_| normal(0.0, 0.3).sample(&mut rng))
        .collect();
    let mut sheet = Sheet::create(dir, "classes", &["class_id", "name", "grade", "teacher"])?;
    for c in 0..classes {
        let grade = 7 + c % 3;
        let teacher = content
            .names
            .last
            .choose(&mut rng)
            .map(String::as_str)
            .unwrap_or("Smith");
        let title = if rng.random_bool(0.5) { "Ms." } else { "Mr." };
        sheet.write([
            class_id(c, classes),
            format!("{grade}{}", group_label(c / 3)),
            grade.to_string(),
            format!("{title} {teacher}"),
        ])?;
    }
    files.insert(0, sheet.finish()?);

    let mut sheets = Sheets::create(dir)?;
    let term_start = calendar::days_from_civil(TERM_START.0, TERM_START.1, TERM_START.2) * 86_400;
    let mut comment_counter = 0u64;
    let report_every = (spec.students / 10).max(1000);
    for s in 0..spec.students {
        // One stream per student: a student's data does not depend on how many came before.
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
        rng.set_stream(u64::from(s) + 1);
        let class = s % classes;
        let chinese = spec.chinese_share > 0.0 && {
            let mut draw = ChaCha8Rng::seed_from_u64(spec.seed ^ LANGUAGE_STREAM);
            draw.set_stream(u64::from(s) + 1);
            draw.random_bool(spec.chinese_share.clamp(0.0, 1.0))
        };
        let mut sim = StudentSim {
            chinese,
            id: format!("s{:06}", s + 1),
            school: &school,
            content: &content,
            rng: &mut rng,
            sheets: &mut sheets,
            comment_counter: &mut comment_counter,
            attempts: HashMap::new(),
        };
        sim.run(
            class,
            classes,
            class_effects[class as usize],
            &content.names,
            term_start,
        )?;
        if (s + 1) % report_every == 0 || s + 1 == spec.students {
            progress(s + 1, spec.students);
        }
    }
    let mut events = sheets.finish()?;
    // students.csv must precede the events that reference it.
    let students = events.remove(0);
    files.insert(2, students);
    files.extend(events);
    Ok(Generated { files })
}

fn class_id(c: u32, classes: u32) -> String {
    let width = classes.to_string().len().max(2);
    format!("c{:0width$}", c + 1)
}

/// A, B, ..., Z, AA, AB, ...
fn group_label(mut n: u32) -> String {
    let mut label = Vec::new();
    loop {
        label.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    label.reverse();
    String::from_utf8(label).unwrap_or_default()
}

fn build_school(content: &Content, rng: &mut ChaCha8Rng) -> School {
    let subjects: Vec<String> = content
        .subjects
        .iter()
        .map(|s| s.subject.id.clone())
        .collect();
    let mut skills: Vec<SkillSim> = Vec::new();
    let mut items = Vec::new();
    let mut resources = Vec::new();
    let ids: Vec<&str> = content.skills().map(|(_, k)| k.id.as_str()).collect();
    for (subject_index, subject) in content.subjects.iter().enumerate() {
        let n = subject.skills.len() as f64;
        for (k, def) in subject.skills.iter().enumerate() {
            let prereqs: Vec<usize> = def
                .prereqs
                .iter()
                .filter_map(|p| ids.iter().position(|id| id == p))
                .collect();
            let depth = prereqs
                .iter()
                .map(|&p| skills[p].depth + 1)
                .max()
                .unwrap_or(0);
            let start = k as f64 * (f64::from(TERM_WEEKS) - 4.0) / (n - 1.0).max(1.0);
            let mut sim = SkillSim {
                id: def.id.clone(),
                subject: subject_index,
                topics: def.topics.clone(),
                prereqs,
                depth,
                items: Vec::new(),
                resources: Vec::new(),
                taught: (start, start + 4.0),
            };
            for item in &def.items {
                let misbehaving = rng.random_bool(0.025);
                let a = if misbehaving {
                    rng.random_range(-0.5..0.15)
                } else {
                    LogNormal::new(0.1, 0.25)
                        .map(|d| d.sample(rng))
                        .unwrap_or(1.0)
                };
                let center = match item.level {
                    1 => -1.0,
                    2 => 0.0,
                    _ => 1.1,
                };
                sim.items.push(items.len());
                items.push(ItemSim {
                    id: format!("i{:04}", items.len() + 1),
                    misbehaving,
                    a,
                    b: center + normal(0.0, 0.35).sample(rng),
                    level: item.level,
                });
            }
            for r in &def.resources {
                let center = match r.level {
                    1 => -0.9,
                    2 => 0.0,
                    _ => 0.9,
                };
                sim.resources.push(resources.len());
                resources.push(ResourceSim {
                    id: format!("r{:04}", resources.len() + 1),
                    kind: match r.kind.as_str() {
                        "video" => "video",
                        "ebook" => "ebook",
                        "exercise" => "exercise",
                        _ => "article",
                    },
                    minutes: f64::from(r.minutes.max(1)),
                    difficulty: ((center + normal(0.0, 0.2).sample(rng)) * 100.0).round() / 100.0,
                    theme: r
                        .theme
                        .as_ref()
                        .and_then(|t| THEMES.iter().position(|(id, _)| id == t)),
                });
            }
            skills.push(sim);
        }
    }
    School {
        subjects,
        skills,
        items,
        resources,
    }
}

/// Skills, prerequisites, items, resources and their truth: the same for every student count.
fn write_catalog(
    content: &Content,
    school: &School,
    spec: &DemoSpec,
    dir: &Path,
) -> Result<Vec<(PathBuf, u64)>, SynthError> {
    let mut skills = Sheet::create(
        dir,
        "skills",
        &["skill_id", "subject", "name", "description"],
    )?;
    let mut prereqs = Sheet::create(dir, "skill_prereqs", &["skill_id", "prereq_id"])?;
    let mut items = Sheet::create(dir, "items", &["item_id", "skill_id", "text"])?;
    let mut resources = Sheet::create(
        dir,
        "resources",
        &[
            "resource_id",
            "kind",
            "title",
            "description",
            "skill_id",
            "difficulty",
            "minutes",
        ],
    )?;
    let mut truth_items = Sheet::create(dir, "truth_items", &["item_id", "a", "b", "misbehaving"])?;
    let mut truth_resources = Sheet::create(dir, "truth_resources", &["resource_id", "theme"])?;
    let mut term = Sheet::create(dir, "truth_term", &["start_date", "weeks", "seed"])?;
    term.write([
        calendar::iso_date(calendar::days_from_civil(
            TERM_START.0,
            TERM_START.1,
            TERM_START.2,
        )),
        TERM_WEEKS.to_string(),
        spec.seed.to_string(),
    ])?;
    for ((subject, def), sim) in content.skills().zip(&school.skills) {
        skills.write([
            def.id.as_str(),
            subject.name.as_str(),
            def.name.as_str(),
            def.description.as_str(),
        ])?;
        for p in &def.prereqs {
            prereqs.write([def.id.as_str(), p.as_str()])?;
        }
        for (item_def, &i) in def.items.iter().zip(&sim.items) {
            let item = &school.items[i];
            items.write([item.id.as_str(), def.id.as_str(), item_def.text.as_str()])?;
            truth_items.write([
                item.id.clone(),
                format!("{:.4}", item.a),
                format!("{:.4}", item.b),
                item.misbehaving.to_string(),
            ])?;
        }
        for (r_def, &r) in def.resources.iter().zip(&sim.resources) {
            let res = &school.resources[r];
            resources.write([
                res.id.clone(),
                res.kind.to_string(),
                r_def.title.clone(),
                r_def.description.clone(),
                def.id.clone(),
                format!("{:.2}", res.difficulty),
                format!("{}", res.minutes),
            ])?;
            truth_resources.write([
                res.id.clone(),
                res.theme
                    .map(|t| THEMES[t].0.to_string())
                    .unwrap_or_default(),
            ])?;
        }
    }
    Ok(vec![
        skills.finish()?,
        prereqs.finish()?,
        items.finish()?,
        resources.finish()?,
        term.finish()?,
        truth_items.finish()?,
        truth_resources.finish()?,
    ])
}

struct StudentSim<'a> {
    /// Writes comments and searches in Chinese.
    chinese: bool,
    id: String,
    school: &'a School,
    content: &'a Content,
    rng: &'a mut ChaCha8Rng,
    sheets: &'a mut Sheets,
    comment_counter: &'a mut u64,
    /// Answers so far per item, for the attempt number.
    attempts: HashMap<usize, u32>,
}

/// What a student is like, drawn once.
struct Traits {
    general: f64,
    theta_start: Vec<f64>,
    growth: Vec<f64>,
    interests: Vec<f64>,
    subject_affinity: Vec<f64>,
    engagement: f64,
    disengaged_from: Option<u32>,
}

impl Traits {
    fn theta(&self, skill: usize, week: f64) -> f64 {
        self.theta_start[skill] + self.growth[skill] * week
    }
}

fn dirichlet(rng: &mut ChaCha8Rng, alpha: f64, n: usize) -> Vec<f64> {
    let gamma =
        Gamma::new(alpha, 1.0).unwrap_or_else(|_| unreachable!("alpha {alpha} is positive"));
    let draws: Vec<f64> = (0..n).map(|_| gamma.sample(rng).max(1e-12)).collect();
    let total: f64 = draws.iter().sum();
    draws.into_iter().map(|d| d / total).collect()
}

fn weighted_index(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        x -= w;
        if x <= 0.0 {
            return i;
        }
    }
    weights.len().saturating_sub(1)
}

impl StudentSim<'_> {
    fn run(
        &mut self,
        class: u32,
        classes: u32,
        class_effect: f64,
        names: &Names,
        term_start: i64,
    ) -> Result<(), SynthError> {
        let first = names
            .first
            .choose(self.rng)
            .map(String::as_str)
            .unwrap_or("Alex");
        let last = names
            .last
            .choose(self.rng)
            .map(String::as_str)
            .unwrap_or("Smith");
        let external = format!("EXT-{:08X}", self.rng.random::<u32>());
        self.sheets.students.write([
            self.id.as_str(),
            &class_id(class, classes),
            &format!("{first} {last}"),
            &external,
        ])?;

        let traits = self.draw_traits(class_effect);
        self.sheets.truth_students.write([
            self.id.clone(),
            format!("{:.4}", traits.general),
            format!("{:.4}", traits.engagement),
            traits
                .disengaged_from
                .map(|w| w.to_string())
                .unwrap_or_default(),
        ])?;
        for (k, skill) in self.school.skills.iter().enumerate() {
            self.sheets.truth_abilities.write([
                self.id.clone(),
                skill.id.clone(),
                format!("{:.4}", traits.theta_start[k]),
                format!("{:.4}", traits.growth[k]),
            ])?;
        }
        for (t, (theme, _)) in THEMES.iter().enumerate() {
            self.sheets.truth_interests.write([
                self.id.clone(),
                theme.to_string(),
                format!("{:.4}", traits.interests[t]),
            ])?;
        }

        for week in 0..TERM_WEEKS {
            let activity = traits.engagement
                * match traits.disengaged_from {
                    Some(w) if week >= w => 0.15,
                    _ => 1.0,
                };
            let sessions = Poisson::new(2.4 * activity)
                .map(|p| p.sample(self.rng) as usize)
                .unwrap_or(0)
                .min(10);
            // Ten slots a week: a school period and an evening on each weekday.
            let mut slots: Vec<u32> = rand::seq::index::sample(self.rng, 10, sessions)
                .into_iter()
                .map(|i| i as u32)
                .collect();
            slots.sort_unstable();
            for slot in slots {
                let day = i64::from(slot / 2);
                let (hour, spread) = if slot % 2 == 0 { (9, 300) } else { (16, 240) };
                let start = term_start
                    + i64::from(week) * 7 * 86_400
                    + day * 86_400
                    + hour * 3600
                    + self.rng.random_range(0..spread) * 60
                    + self.rng.random_range(0..60);
                self.session(&traits, week, start, term_start)?;
            }
        }
        Ok(())
    }

    fn draw_traits(&mut self, class_effect: f64) -> Traits {
        let general = normal(0.0, 1.0).sample(self.rng);
        let skills = &self.school.skills;
        let mut theta_start: Vec<f64> = Vec::with_capacity(skills.len());
        let mut growth = Vec::with_capacity(skills.len());
        let engagement: f64 = LogNormal::new(0.0, 0.45)
            .map(|d| d.sample(self.rng))
            .unwrap_or(1.0);
        for skill in skills {
            let prereq_mean = if skill.prereqs.is_empty() {
                0.0
            } else {
                skill.prereqs.iter().map(|&p| theta_start[p]).sum::<f64>()
                    / skill.prereqs.len() as f64
            };
            theta_start.push(
                0.45 * general + class_effect + 0.35 * prereq_mean - 0.15 * f64::from(skill.depth)
                    + normal(0.0, 0.55).sample(self.rng),
            );
            let rate = normal(0.055, 0.025).sample(self.rng).max(0.0);
            growth.push(rate * (0.7 + 0.3 * engagement.min(2.0)));
        }
        let disengaged_from = self
            .rng
            .random_bool(0.08)
            .then(|| self.rng.random_range(5..14));
        Traits {
            general,
            theta_start,
            growth,
            interests: dirichlet(self.rng, 0.35, THEMES.len()),
            subject_affinity: dirichlet(self.rng, 2.0, self.school.subjects.len()),
            engagement,
            disengaged_from,
        }
    }

    fn session(
        &mut self,
        traits: &Traits,
        week: u32,
        start: i64,
        term_start: i64,
    ) -> Result<(), SynthError> {
        let school = self.school;
        let w = f64::from(week);
        let taught: Vec<usize> = (0..school.skills.len())
            .filter(|&k| {
                school.skills[k].taught.0 <= w + 0.5 && w + 0.5 < school.skills[k].taught.1
            })
            .collect();
        let reviewed: Vec<usize> = (0..school.skills.len())
            .filter(|&k| school.skills[k].taught.1 <= w)
            .collect();
        let skill = if !reviewed.is_empty() && (taught.is_empty() || self.rng.random_bool(0.15)) {
            *reviewed.choose(self.rng).unwrap_or(&0)
        } else if taught.is_empty() {
            0
        } else {
            let weights: Vec<f64> = taught
                .iter()
                .map(|&k| traits.subject_affinity[school.skills[k].subject] + 0.2)
                .collect();
            taught[weighted_index(self.rng, &weights)]
        };
        let subject = &school.subjects[school.skills[skill].subject];
        let mut t = start;
        let mut page = "/home".to_string();
        self.hop(&mut t, &mut page, format!("/subject/{subject}"))?;
        self.hop(
            &mut t,
            &mut page,
            format!("/skill/{}", school.skills[skill].id),
        )?;

        let actions = self.rng.random_range(1..=3);
        for _ in 0..actions {
            let weeks_in = (t - term_start) as f64 / (7.0 * 86_400.0);
            let roll: f64 = self.rng.random();
            if roll < 0.12 {
                self.search(traits, skill, &mut t, &mut page)?;
            } else if roll < 0.62 {
                self.quiz(traits, skill, weeks_in, &mut t, &mut page)?;
            } else {
                self.view(traits, skill, weeks_in, &mut t, &mut page)?;
            }
        }
        Ok(())
    }

    fn hop(&mut self, t: &mut i64, page: &mut String, to: String) -> Result<(), SynthError> {
        *t += self.rng.random_range(3..40);
        self.sheets.navigation.write([
            self.id.as_str(),
            &calendar::iso_timestamp(*t),
            page.as_str(),
            to.as_str(),
        ])?;
        *page = to;
        Ok(())
    }

    fn quiz(
        &mut self,
        traits: &Traits,
        skill: usize,
        weeks_in: f64,
        t: &mut i64,
        page: &mut String,
    ) -> Result<(), SynthError> {
        let school = self.school;
        self.hop(t, page, format!("/quiz/{}", school.skills[skill].id))?;
        let pool = &school.skills[skill].items;
        let n = self.rng.random_range(3..=7).min(pool.len());
        for i in rand::seq::index::sample(self.rng, pool.len(), n) {
            let item_index = pool[i];
            let item = &school.items[item_index];
            let p = sigmoid(item.a * (traits.theta(skill, weeks_in) - item.b));
            let correct = self.rng.random_bool(p.clamp(0.0, 1.0));
            let typical = 35.0 + 25.0 * f64::from(item.level);
            let seconds = LogNormal::new(typical.ln(), 0.5)
                .map(|d| d.sample(self.rng))
                .unwrap_or(typical)
                .round()
                .max(2.0);
            let attempt = self.attempts.entry(item_index).or_insert(0);
            *attempt += 1;
            let attempt = *attempt;
            *t += seconds as i64 + self.rng.random_range(2..15);
            self.sheets.responses.write([
                self.id.as_str(),
                item.id.as_str(),
                &calendar::iso_timestamp(*t),
                if correct { "1" } else { "0" },
                &format!("{seconds}"),
                &attempt.to_string(),
            ])?;
        }
        Ok(())
    }

    /// How well a resource suits the student now: interest in its theme, and
    /// how close the predicted success is to a comfortable 70%.
    fn appeal(
        &self,
        traits: &Traits,
        skill: usize,
        weeks_in: f64,
        resource: usize,
    ) -> (f64, f64, f64) {
        let r = &self.school.resources[resource];
        let interest = r.theme.map(|t| traits.interests[t]).unwrap_or(0.0);
        let success = sigmoid(traits.theta(skill, weeks_in) - r.difficulty);
        let fit = (-(success - 0.7).powi(2) / 0.08).exp();
        (interest, success, fit)
    }

    fn view(
        &mut self,
        traits: &Traits,
        skill: usize,
        weeks_in: f64,
        t: &mut i64,
        page: &mut String,
    ) -> Result<(), SynthError> {
        let school = self.school;
        let pool = &school.skills[skill].resources;
        let weights: Vec<f64> = pool
            .iter()
            .map(|&r| {
                let (interest, _, fit) = self.appeal(traits, skill, weeks_in, r);
                let base = if school.resources[r].theme.is_some() {
                    0.3 + 5.0 * interest
                } else {
                    0.6
                };
                base * (0.2 + fit)
            })
            .collect();
        let resource = pool[weighted_index(self.rng, &weights)];
        let (interest, success, fit) = self.appeal(traits, skill, weeks_in, resource);
        let r = &school.resources[resource];
        self.hop(t, page, format!("/resource/{}", r.id))?;
        let share =
            (0.4 + 0.35 * fit + 1.2 * interest.min(0.5) + normal(0.0, 0.2).sample(self.rng))
                .clamp(0.03, 1.0);
        let watched = (share * r.minutes * 60.0).round();
        *t += 5;
        self.sheets.views.write([
            self.id.as_str(),
            r.id.as_str(),
            &calendar::iso_timestamp(*t),
            &format!("{watched}"),
            if share >= 0.92 { "true" } else { "false" },
        ])?;
        *t += watched as i64;
        if self.rng.random_bool(0.15) {
            self.comment(traits, skill, resource, interest, success, share, *t)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn comment(
        &mut self,
        traits: &Traits,
        skill: usize,
        resource: usize,
        interest: f64,
        success: f64,
        share: f64,
        t: i64,
    ) -> Result<(), SynthError> {
        let mood = 1.6 * (success - 0.55)
            + 2.0 * (interest - 0.1)
            + 0.8 * (share - 0.6)
            + normal(0.0, 0.55).sample(self.rng);
        let sentiment = if mood > 0.35 {
            "positive"
        } else if mood < -0.25 {
            "negative"
        } else {
            "neutral"
        };
        let content = self.content;
        let foreign: Vec<_> = content
            .phrases
            .other_language
            .iter()
            .filter(|c| c.sentiment == sentiment)
            .collect();
        let (text, language, mentions_topic, meaning) = match foreign.choose(self.rng) {
            Some(c) if self.rng.random_bool(0.04) && !self.chinese => {
                (c.text.clone(), c.lang.clone(), false, String::new())
            }
            _ => {
                let (bank, chinese_bank) = match sentiment {
                    "positive" => (
                        &content.phrases.comments.positive,
                        &content.chinese.comments.positive,
                    ),
                    "negative" => (
                        &content.phrases.comments.negative,
                        &content.chinese.comments.negative,
                    ),
                    _ => (
                        &content.phrases.comments.neutral,
                        &content.chinese.comments.neutral,
                    ),
                };
                let chosen = bank.choose(self.rng);
                let template = chosen.map(String::as_str).unwrap_or("{topic}");
                let at = chosen.map_or(0, |c| index_in(bank, c));
                let topic = self.school.skills[skill]
                    .topics
                    .choose(self.rng)
                    .map(String::as_str)
                    .unwrap_or("this");
                let r = &self.school.resources[resource];
                let theme = r
                    .theme
                    .unwrap_or_else(|| weighted_index(self.rng, &traits.interests));
                let theme_word = THEMES[theme]
                    .1
                    .choose(self.rng)
                    .copied()
                    .unwrap_or("sports");
                let kind = if r.kind == "ebook" { "e-book" } else { r.kind };
                let fill = Fill {
                    topic,
                    kind,
                    theme: theme_word,
                };
                let meaning = fill.meaning(&format!("{sentiment}.{at}"), template);
                let (text, language) = match chinese_bank.get(at).filter(|_| self.chinese) {
                    Some(chinese) => (fill.chinese(content, chinese), "zh"),
                    None => (fill.english(template), "en"),
                };
                (
                    text,
                    language.to_string(),
                    template.contains("{topic}"),
                    meaning,
                )
            }
        };
        *self.comment_counter += 1;
        let id = format!("cm{:08}", self.comment_counter);
        let time = calendar::iso_timestamp(t + self.rng.random_range(5..120));
        self.sheets.comments.write([
            id.as_str(),
            self.id.as_str(),
            self.school.resources[resource].id.as_str(),
            &time,
            &text,
        ])?;
        self.sheets.truth_comments.write([
            id.as_str(),
            sentiment,
            self.school.skills[skill].id.as_str(),
            &language,
            if mentions_topic { "true" } else { "false" },
            &meaning,
        ])?;
        Ok(())
    }

    fn search(
        &mut self,
        traits: &Traits,
        skill: usize,
        t: &mut i64,
        page: &mut String,
    ) -> Result<(), SynthError> {
        let bank = &self.content.phrases.searches;
        let chinese_bank = &self.content.chinese.searches;
        let topic = self.school.skills[skill]
            .topics
            .choose(self.rng)
            .map(String::as_str)
            .unwrap_or("help");
        let roll: f64 = self.rng.random();
        // (template list and its Chinese, the template, what fills it, skill, theme)
        let (list, chinese_list, template, word, skill_id, theme) = if roll < 0.1 {
            let template = bank.offtopic.choose(self.rng);
            (
                &bank.offtopic,
                &chinese_bank.offtopic,
                template,
                "",
                None,
                None,
            )
        } else if roll < 0.35 {
            let theme = weighted_index(self.rng, &traits.interests);
            let word = THEMES[theme]
                .1
                .choose(self.rng)
                .copied()
                .unwrap_or("sports");
            let template = bank.theme.choose(self.rng);
            (
                &bank.theme,
                &chinese_bank.theme,
                template,
                word,
                Some(skill),
                Some(THEMES[theme].0),
            )
        } else {
            let template = bank.skill.choose(self.rng);
            (
                &bank.skill,
                &chinese_bank.skill,
                template,
                "",
                Some(skill),
                None,
            )
        };
        let fill = Fill {
            topic,
            kind: "",
            theme: word,
        };
        let query = match template {
            Some(t) if self.chinese => chinese_list
                .get(index_in(list, t))
                .map(|chinese| fill.chinese(self.content, chinese))
                .unwrap_or_default(),
            Some(t) => fill.english(t),
            None => String::new(),
        };
        if query.trim().is_empty() {
            return Ok(());
        }
        self.hop(t, page, "/search".to_string())?;
        *t += self.rng.random_range(4..20);
        let time = calendar::iso_timestamp(*t);
        self.sheets
            .searches
            .write([self.id.as_str(), &time, &query])?;
        let skill_id = skill_id
            .map(|k| self.school.skills[k].id.as_str())
            .unwrap_or("");
        self.sheets.truth_searches.write([
            self.id.as_str(),
            &time,
            &query,
            skill_id,
            theme.unwrap_or(""),
        ])?;
        Ok(())
    }
}

/// Where `chosen` (an element of `list`, as `choose` returned it) sits.
fn index_in<T>(list: &[T], chosen: &T) -> usize {
    list.iter()
        .position(|x| std::ptr::eq(x, chosen))
        .unwrap_or_default()
}

/// What a template is filled with, in English words.
struct Fill<'a> {
    topic: &'a str,
    kind: &'a str,
    theme: &'a str,
}

impl Fill<'_> {
    fn english(&self, template: &str) -> String {
        template
            .replace("{topic}", self.topic)
            .replace("{kind}", self.kind)
            .replace("{theme}", self.theme)
    }

    fn chinese(&self, content: &Content, template: &str) -> String {
        let zh = &content.chinese;
        let word = |table: &std::collections::HashMap<String, String>, english: &str| {
            table
                .get(english)
                .cloned()
                .unwrap_or_else(|| english.to_string())
        };
        template
            .replace("{topic}", &word(&zh.topics, self.topic))
            .replace("{kind}", &word(&zh.kinds, self.kind))
            .replace("{theme}", &word(&zh.themes, self.theme))
    }

    /// The same for two texts exactly when they say the same: the template and
    /// the fillers it uses.
    fn meaning(&self, template_id: &str, template: &str) -> String {
        let mut meaning = template_id.to_string();
        for (placeholder, value) in [
            ("{topic}", self.topic),
            ("{kind}", self.kind),
            ("{theme}", self.theme),
        ] {
            if template.contains(placeholder) {
                meaning.push('|');
                meaning.push_str(value);
            }
        }
        meaning
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_labels_continue_past_z() {
        assert_eq!(group_label(0), "A");
        assert_eq!(group_label(25), "Z");
        assert_eq!(group_label(26), "AA");
        assert_eq!(group_label(27), "AB");
    }

    #[test]
    fn class_ids_sort_as_numbers() {
        assert_eq!(class_id(0, 20), "c01");
        assert_eq!(class_id(1666, 1667), "c1667");
        assert_eq!(class_id(8, 1667), "c0009");
    }

    #[test]
    fn a_meaning_names_only_what_its_template_uses_and_chinese_fills_in_chinese() {
        let content = match Content::load() {
            Ok(content) => content,
            Err(e) => panic!("{e}"),
        };
        let fill = Fill {
            topic: "equivalent fractions",
            kind: "video",
            theme: "football",
        };
        assert_eq!(fill.meaning("positive.3", "love this!"), "positive.3");
        assert_eq!(
            fill.meaning("positive.4", "This {kind} made {topic} click"),
            "positive.4|equivalent fractions|video"
        );
        let chinese = fill.chinese(&content, "这个{kind}让我懂了{topic}，像{theme}一样");
        assert_eq!(chinese, "这个视频让我懂了等值分数，像足球一样");
        // The banks are parallel: entry i of one is entry i of the other.
        let at = index_in(
            &content.phrases.comments.negative,
            &content.phrases.comments.negative[7],
        );
        assert_eq!(at, 7);
        assert_eq!(
            content.phrases.comments.negative.len(),
            content.chinese.comments.negative.len()
        );
    }
}

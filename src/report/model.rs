//! A class's report as it will be shown: the figures, charts and tables, with
//! pseudonyms and small-group suppression already applied. Every writer
//! formats this and nothing else, so none of them can leak what it left out.

use std::collections::{BTreeMap, HashMap};

use super::charts::{Chart, PALETTE, Plot};
use super::privacy::{MIN_GROUP, NameScrubber, Pseudonyms};
use super::tables::{Cell, Table};
use super::{Options, ReportError, slug};
use crate::ability::explain;
use crate::store::Store;
use crate::store::ability::StudentSkill;
use crate::store::class_report::{ClassData, RosterRow};
use crate::store::recommend::{StudentStep, StudentSuggestion};

/// One figure of the class summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub label: String,
    pub value: String,
    pub note: String,
}

/// The class's headline numbers, None where suppressed or not measured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeyFigures {
    pub answers: Option<u64>,
    pub share_right: Option<f64>,
    pub mean_ability: Option<f64>,
    pub at_risk: Option<usize>,
    /// Class aggregates left out: a pseudonymized report of a class under [`MIN_GROUP`].
    pub suppressed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RosterLine {
    /// The id shown: the student's id, or their pseudonym.
    pub key: String,
    pub name: String,
    /// The HTML anchor of their page.
    pub anchor: String,
    pub answers: u64,
    pub share_right: Option<f64>,
    pub minutes: f64,
    pub active_weeks: u32,
    pub last_active: Option<String>,
    pub theta: Option<f64>,
    pub sd: Option<f64>,
    pub skills: u32,
    pub risk_rules: u32,
    pub mood: Option<f64>,
    pub comments: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SkillLine {
    pub skill: String,
    pub theta: f64,
    pub sd: f64,
    pub answered: i32,
    pub expected_right: Option<f64>,
    /// The plain-language explanation of the evidence.
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PageComment {
    pub time: String,
    pub resource: String,
    pub text: String,
    pub sentiment: Option<String>,
    /// For the page's `lang` attribute, so a browser picks Chinese glyphs for Chinese.
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StudentPage {
    pub line: RosterLine,
    pub abilities: Vec<SkillLine>,
    pub trajectory: Option<Chart>,
    pub risk: Vec<String>,
    pub interests: Vec<String>,
    pub suggestions: Vec<StudentSuggestion>,
    pub path: Vec<StudentStep>,
    pub comments: Vec<PageComment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AtRisk {
    pub name: String,
    pub anchor: String,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClassReport {
    pub class_id: String,
    pub name: String,
    pub grade: String,
    /// Left out of pseudonymized reports.
    pub teacher: Option<String>,
    pub students: usize,
    /// The report's period, in words.
    pub period: String,
    pub as_of: Option<String>,
    pub pseudonymized: bool,
    pub comments_included: bool,
    /// The key of the one student the report is about.
    pub only: Option<String>,
    pub key_figures: KeyFigures,
    pub summary: Vec<Figure>,
    pub charts: Vec<Chart>,
    /// The heatmap's skill numbers: (number, name).
    pub skill_legend: Vec<(usize, String)>,
    pub roster: Vec<RosterLine>,
    pub at_risk: Vec<AtRisk>,
    pub pages: Vec<StudentPage>,
    pub tables: Vec<Table>,
    /// What the report could not show, and why.
    pub missing: Vec<String>,
}

impl ClassReport {
    pub fn file_stem(&self) -> String {
        match &self.only {
            Some(key) => format!("{}-{}", slug(&self.class_id), slug(key)),
            None => slug(&self.class_id),
        }
    }

    /// The class's charts, then each page's.
    pub fn all_charts(&self) -> impl Iterator<Item = &Chart> {
        self.charts
            .iter()
            .chain(self.pages.iter().filter_map(|p| p.trajectory.as_ref()))
    }
}

/// Reads and shapes one class's report.
pub fn build_class(
    store: &Store,
    class_id: &str,
    options: &Options,
    pseudonyms: Option<&Pseudonyms>,
) -> Result<ClassReport, ReportError> {
    let data = store
        .class_report_data(
            &[class_id.to_string()],
            options.since.as_deref(),
            options.include_comments,
        )?
        .pop()
        .ok_or_else(|| ReportError::NoClass(class_id.to_string()))?;
    shape_class(data, options, pseudonyms)
}

/// Shapes one class's report from its data (read alone or with others).
pub fn shape_class(
    data: ClassData,
    options: &Options,
    pseudonyms: Option<&Pseudonyms>,
) -> Result<ClassReport, ReportError> {
    let class_id = data.class.class_id.clone();
    if let Some(student) = &options.student
        && !data.roster.iter().any(|r| &r.student_id == student)
    {
        return Err(ReportError::NoStudent {
            student: student.clone(),
            class: Some(class_id.to_string()),
        });
    }
    check_not_empty(&data, options)?;
    Ok(shape(data, options, pseudonyms))
}

fn check_not_empty(data: &ClassData, options: &Options) -> Result<(), ReportError> {
    let empty = |why: String| ReportError::Empty {
        class: data.class.class_id.clone(),
        why,
    };
    if data.roster.is_empty() {
        return Err(empty("it has no students".into()));
    }
    let active = data
        .roster
        .iter()
        .any(|r| r.answers > 0 || r.minutes > 0.0 || r.comments > 0);
    if !active && data.abilities.is_empty() && data.engagement.is_empty() {
        let when = options
            .since
            .as_ref()
            .map(|d| format!(" since {d}"))
            .unwrap_or_default();
        return Err(empty(format!(
            "its {} students have no answers, views or comments{when} \
             (ingest the platform's exports, then run `classlens analyze`)",
            data.roster.len()
        )));
    }
    Ok(())
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn shape(data: ClassData, options: &Options, pseudonyms: Option<&Pseudonyms>) -> ClassReport {
    let pseudonymized = pseudonyms.is_some();
    let small = pseudonymized && (data.roster.len() as u64) < MIN_GROUP;
    // Aggregates over `n` students are shown unless pseudonymized and n < MIN_GROUP.
    let shown = |n: u64| !pseudonymized || n >= MIN_GROUP;

    let keep = |id: &str| options.student.as_deref().is_none_or(|s| s == id);
    let ident: HashMap<&str, (String, String, String)> = data
        .roster
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (key, name) = match pseudonyms {
                Some(p) => {
                    let code = p.student(&r.student_id);
                    (code.clone(), code)
                }
                None => (r.student_id.clone(), r.name.clone()),
            };
            (
                r.student_id.as_str(),
                (key, name, format!("student-{}", i + 1)),
            )
        })
        .collect();
    let name_of = |id: &str| ident.get(id).map(|(_, n, _)| n.clone()).unwrap_or_default();
    let key_of = |id: &str| ident.get(id).map(|(k, _, _)| k.clone()).unwrap_or_default();

    let roster: Vec<RosterLine> = data
        .roster
        .iter()
        .filter(|r| keep(&r.student_id))
        .map(|r| roster_line(r, &ident))
        .collect();

    // Class skill means, for the explanations' comparisons and the skills table.
    let mut skill_sums: BTreeMap<(String, String), (f64, f64, u64)> = BTreeMap::new();
    for a in &data.abilities {
        let e = skill_sums
            .entry((a.skill.clone(), a.skill_id.clone()))
            .or_default();
        e.0 += a.theta;
        e.1 += a.expected_right.unwrap_or(0.0);
        e.2 += 1;
    }
    let class_mean: HashMap<&str, f64> = skill_sums
        .iter()
        .map(|((_, id), (sum, _, n))| (id.as_str(), sum / *n as f64))
        .collect();
    let skills: Vec<(String, String)> = skill_sums.keys().cloned().collect();

    let mut answers_of: HashMap<&str, Vec<crate::store::ability::StudentAnswer>> = HashMap::new();
    for (id, a) in &data.answers {
        answers_of.entry(id.as_str()).or_default().push(a.clone());
    }
    let mut trends_of: HashMap<&str, Vec<(String, crate::ability::mastery::Trend)>> =
        HashMap::new();
    for (id, skill, t) in &data.trends {
        trends_of
            .entry(id.as_str())
            .or_default()
            .push((skill.clone(), *t));
    }

    let scrubber =
        pseudonymized.then(|| NameScrubber::new(data.roster.iter().map(|r| r.name.as_str())));
    let skill_names: HashMap<&str, &str> = data
        .abilities
        .iter()
        .map(|a| (a.skill_id.as_str(), a.skill.as_str()))
        .collect();

    let pages: Vec<StudentPage> = data
        .roster
        .iter()
        .filter(|r| keep(&r.student_id))
        .map(|r| {
            let id = r.student_id.as_str();
            let cells: Vec<_> = data
                .abilities
                .iter()
                .filter(|a| a.student_id == id)
                .collect();
            let skills_for_explain: Vec<StudentSkill> = cells
                .iter()
                .map(|a| StudentSkill {
                    skill_id: a.skill_id.clone(),
                    skill: a.skill.clone(),
                    theta: a.theta,
                    sd: a.sd,
                    answered: a.answered,
                    class_mean: class_mean.get(a.skill_id.as_str()).copied().unwrap_or(0.0),
                })
                .collect();
            let explanations = explain::student(
                &skills_for_explain,
                answers_of.get(id).map(Vec::as_slice).unwrap_or(&[]),
                trends_of.get(id).map(Vec::as_slice).unwrap_or(&[]),
            );
            let abilities = cells
                .iter()
                .zip(explanations)
                .map(|(a, e)| SkillLine {
                    skill: a.skill.clone(),
                    theta: a.theta,
                    sd: a.sd,
                    answered: a.answered,
                    expected_right: a.expected_right,
                    // The table's first column already names the skill.
                    explanation: e
                        .summary
                        .strip_prefix(&format!("{}: ", a.skill))
                        .map_or_else(|| e.summary.clone(), str::to_string),
                })
                .collect();
            let mut series: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
            for (_, skill, w) in data.mastery.iter().filter(|(s, _, _)| s == id) {
                let name = skill_names.get(skill.as_str()).copied().unwrap_or(skill);
                series
                    .entry(name)
                    .or_default()
                    .push((f64::from(w.week) + 1.0, w.theta));
            }
            // A line needs two weeks; more than six lines is a tangle.
            let all = series.len();
            let mut lines: Vec<(String, Vec<(f64, f64)>)> = series
                .into_iter()
                .filter(|(_, p)| p.len() >= 2)
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            lines.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
            lines.truncate(TRAJECTORY_LINES);
            lines.sort_by(|a, b| a.0.cmp(&b.0));
            let key = key_of(id);
            let trajectory = (!lines.is_empty()).then(|| Chart {
                id: format!("trajectory-{}", slug(&key)),
                title: format!("{}: ability week by week", name_of(id)),
                caption: format!(
                    "The estimate in each skill from the answers up to that week (weeks counted \
                     from the start of the data): the {} of {all} skills answered in most weeks.",
                    lines.len()
                ),
                legend: lines
                    .iter()
                    .enumerate()
                    .map(|(i, (s, _))| (s.clone(), PALETTE[i % PALETTE.len()]))
                    .collect(),
                plot: Plot::Lines {
                    series: lines,
                    x_desc: "week".into(),
                    y_desc: "ability (logits)".into(),
                },
            });
            StudentPage {
                line: roster_line(r, &ident),
                abilities,
                trajectory,
                risk: data
                    .risk
                    .iter()
                    .filter(|f| f.student_id == id)
                    .map(|f| format!("{}: {}", f.rule.replace('_', " "), f.reason))
                    .collect(),
                interests: data
                    .interests
                    .iter()
                    .filter(|i| i.student_id == id)
                    .map(|i| {
                        format!(
                            "{} ({} comments, {} searches)",
                            i.skill, i.comments, i.searches
                        )
                    })
                    .collect(),
                suggestions: data
                    .suggestions
                    .iter()
                    .filter(|(s, _)| s == id)
                    .map(|(_, s)| s.clone())
                    .collect(),
                path: data
                    .paths
                    .iter()
                    .filter(|(s, _)| s == id)
                    .map(|(_, s)| s.clone())
                    .collect(),
                comments: data
                    .comments
                    .iter()
                    .filter(|c| c.student_id == id)
                    .map(|c| PageComment {
                        time: c.time.clone(),
                        resource: c.resource.clone(),
                        text: match &scrubber {
                            Some(s) => s.scrub(&c.text),
                            None => c.text.clone(),
                        },
                        sentiment: c.sentiment.clone(),
                        language: c.language.clone(),
                    })
                    .collect(),
            }
        })
        .collect();

    let at_risk: Vec<AtRisk> = pages
        .iter()
        .filter(|p| !p.risk.is_empty())
        .map(|p| AtRisk {
            name: p.line.name.clone(),
            anchor: p.line.anchor.clone(),
            reasons: p.risk.clone(),
        })
        .collect();

    // Key figures over the whole class (not only the one student's).
    let total_answers: u64 = data.roster.iter().map(|r| r.answers).sum();
    let total_right: u64 = data.roster.iter().map(|r| r.correct).sum();
    let thetas: Vec<f64> = data.roster.iter().filter_map(|r| r.theta).collect();
    let flagged = data.roster.iter().filter(|r| r.risk_rules > 0).count();
    let fitted = !data.abilities.is_empty();
    let key_figures = if small {
        KeyFigures {
            suppressed: true,
            ..KeyFigures::default()
        }
    } else {
        KeyFigures {
            answers: Some(total_answers),
            share_right: share(total_right, total_answers),
            mean_ability: (!thetas.is_empty())
                .then(|| thetas.iter().sum::<f64>() / thetas.len() as f64),
            at_risk: fitted.then_some(flagged),
            suppressed: false,
        }
    };
    let withheld = format!("not shown: fewer than {MIN_GROUP} students");
    let mut summary = vec![Figure {
        label: "Students".into(),
        value: data.roster.len().to_string(),
        note: String::new(),
    }];
    let mut figure = |label: &str, value: Option<String>, note: String| {
        summary.push(Figure {
            label: label.into(),
            value: value.unwrap_or_else(|| "—".into()),
            note: if small { withheld.clone() } else { note },
        })
    };
    figure(
        "Answers",
        key_figures.answers.map(|a| a.to_string()),
        key_figures
            .share_right
            .map(|s| format!("{:.0}% right", 100.0 * s))
            .unwrap_or_default(),
    );
    figure(
        "Mean ability",
        key_figures.mean_ability.map(|m| format!("{m:+.2}")),
        if fitted {
            "logits; 0 is the school's average".into()
        } else {
            "not fitted yet".into()
        },
    );
    figure(
        "At risk",
        key_figures.at_risk.map(|a| a.to_string()),
        "students with a rule that fired".into(),
    );
    let comments: u32 = data.roster.iter().map(|r| r.comments).sum();
    let writers = data.roster.iter().filter(|r| r.comments > 0).count() as u64;
    let moods: Vec<f64> = data.roster.iter().filter_map(|r| r.mood).collect();
    figure(
        "Comments",
        (!small).then(|| comments.to_string()),
        if shown(writers) && !moods.is_empty() {
            format!(
                "mood {:+.2} (−1 all negative, +1 all positive)",
                moods.iter().sum::<f64>() / moods.len() as f64
            )
        } else if !moods.is_empty() {
            withheld.clone()
        } else {
            "none scored".into()
        },
    );

    let mut missing = Vec::new();
    let mut charts = Vec::new();
    let mut tables = Vec::new();
    let single = options.student.is_some();

    // Ability distribution.
    let mut points: Vec<(String, f64, f64)> = data
        .roster
        .iter()
        .filter_map(|r| Some((name_of(&r.student_id), r.theta?, r.sd?)))
        .collect();
    points.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    if !fitted {
        missing.push(
            "Abilities are not fitted yet, so the ability charts, at-risk flags and \
             explanations are missing: run `classlens analyze`."
                .into(),
        );
    } else if !single {
        charts.push(Chart {
            id: "ability".into(),
            title: "Ability, student by student".into(),
            caption: format!(
                "Each student's mean ability over the skills they answered (dot), with ±1 \
                 standard deviation of that estimate (bar, about a 68% interval): a long bar \
                 means little evidence. {} students.",
                points.len()
            ),
            legend: Vec::new(),
            plot: Plot::Intervals {
                points: points.clone(),
            },
        });
        let rows: Vec<(String, String)> = data
            .roster
            .iter()
            .map(|r| (r.student_id.clone(), name_of(&r.student_id)))
            .collect();
        let index: HashMap<(&str, &str), Option<f64>> = data
            .abilities
            .iter()
            .map(|a| {
                (
                    (a.student_id.as_str(), a.skill_id.as_str()),
                    a.expected_right,
                )
            })
            .collect();
        let cells: Vec<Vec<Option<f64>>> = rows
            .iter()
            .map(|(id, _)| {
                skills
                    .iter()
                    .map(|(_, skill)| index.get(&(id.as_str(), skill.as_str())).copied().flatten())
                    .collect()
            })
            .collect();
        charts.push(Chart {
            id: "mastery".into(),
            title: "Mastery: students × skills".into(),
            caption: "Expected share right on each skill's items at the student's estimate: \
                      light is low, dark is high; blank means no answers yet."
                .into(),
            legend: Vec::new(),
            plot: Plot::Heatmap {
                rows: rows.into_iter().map(|(_, n)| n).collect(),
                columns: skills.iter().map(|(n, _)| n.clone()).collect(),
                cells,
            },
        });
    }
    let skill_legend: Vec<(usize, String)> = skills
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (i + 1, n.clone()))
        .collect();

    // Engagement.
    let mut eng = Table::new(
        "engagement",
        "Engagement week by week",
        &[
            "week",
            "active_students",
            "answers",
            "share_right",
            "minutes_watched",
            "suppressed",
        ],
    );
    let (mut labels, mut values, mut dropped) = (Vec::new(), Vec::new(), 0);
    for w in &data.engagement {
        let ok = shown(w.active);
        eng.rows.push(vec![
            Cell::text(&w.week),
            if ok {
                Cell::Int(w.active as i64)
            } else {
                Cell::Empty
            },
            if ok {
                Cell::Int(w.answers as i64)
            } else {
                Cell::Empty
            },
            if ok {
                Cell::opt_num(share(w.correct, w.answers))
            } else {
                Cell::Empty
            },
            if ok {
                Cell::Num(w.minutes_watched)
            } else {
                Cell::Empty
            },
            Cell::Bool(!ok),
        ]);
        if ok {
            labels.push(w.week.get(5..).unwrap_or(&w.week).to_string());
            values.push(w.answers as f64);
        } else {
            dropped += 1;
        }
    }
    if data.engagement.is_empty() {
        missing.push("No answers or views in this period.".into());
    } else if values.is_empty() {
        missing.push(format!(
            "Engagement by week is left out: no week had {MIN_GROUP} or more active students."
        ));
    } else {
        charts.push(Chart {
            id: "engagement".into(),
            title: "Engagement over time".into(),
            caption: format!(
                "Answers per week (the table also has active students, share right and \
                 minutes watched).{}",
                suppressed_note(dropped, "weeks")
            ),
            legend: Vec::new(),
            plot: Plot::Bars {
                labels,
                values,
                horizontal: false,
                x_desc: "week (Monday, month-day)".into(),
                y_desc: "answers".into(),
            },
        });
    }
    tables.push(eng);

    // Sentiment.
    let mut sent = Table::new(
        "sentiment",
        "Sentiment of comments week by week",
        &[
            "week",
            "comments",
            "writers",
            "negative",
            "neutral",
            "positive",
            "mood",
            "suppressed",
        ],
    );
    let (mut labels, mut values, mut dropped) = (Vec::new(), Vec::new(), 0);
    for w in &data.sentiment {
        let ok = shown(w.writers);
        let n = |v: u64| if ok { Cell::Int(v as i64) } else { Cell::Empty };
        sent.rows.push(vec![
            Cell::text(&w.week),
            n(w.comments),
            n(w.writers),
            n(w.negative),
            n(w.neutral),
            n(w.positive),
            if ok { Cell::Num(w.mood) } else { Cell::Empty },
            Cell::Bool(!ok),
        ]);
        if ok {
            labels.push(w.week.get(5..).unwrap_or(&w.week).to_string());
            values.push(w.mood);
        } else {
            dropped += 1;
        }
    }
    if data.sentiment.is_empty() {
        missing.push(
            "No scored comments in this period (comments are scored by `classlens analyze`)."
                .into(),
        );
    } else if values.is_empty() {
        missing.push(format!(
            "The sentiment trend is left out: no week had comments by {MIN_GROUP} or more students."
        ));
    } else {
        charts.push(Chart {
            id: "sentiment".into(),
            title: "Sentiment trend".into(),
            caption: format!(
                "Mean of P(positive) − P(negative) over each week's scored comments: +1 all \
                 positive, −1 all negative.{}",
                suppressed_note(dropped, "weeks")
            ),
            legend: Vec::new(),
            plot: Plot::Trend {
                labels,
                values,
                y_desc: "mood".into(),
            },
        });
    }
    tables.push(sent);

    // Most suggested.
    let mut sug = Table::new(
        "suggested",
        "Most suggested resources",
        &[
            "resource_id",
            "title",
            "kind",
            "skill",
            "students",
            "top3",
            "predicted_success",
            "suppressed",
        ],
    );
    let (mut labels, mut values, mut dropped) = (Vec::new(), Vec::new(), 0);
    for s in &data.suggested_most {
        let ok = shown(s.students.max(0) as u64);
        sug.rows.push(vec![
            Cell::text(&s.resource_id),
            Cell::text(&s.title),
            Cell::text(&s.kind),
            Cell::text(&s.skill),
            if ok {
                Cell::Int(s.students)
            } else {
                Cell::Empty
            },
            if ok { Cell::Int(s.top3) } else { Cell::Empty },
            if ok {
                Cell::Num(s.predicted_success)
            } else {
                Cell::Empty
            },
            Cell::Bool(!ok),
        ]);
        if !ok {
            dropped += 1;
        } else if labels.len() < 10 {
            labels.push(s.title.clone());
            values.push(s.students as f64);
        }
    }
    if data.suggested_most.is_empty() {
        missing.push("No suggestions yet: run `classlens analyze`.".into());
    } else if labels.is_empty() {
        missing.push(format!(
            "The most suggested resources are left out: none was suggested to {MIN_GROUP} or \
             more students."
        ));
    } else {
        charts.push(Chart {
            id: "suggested".into(),
            title: "Most suggested resources".into(),
            caption: format!(
                "The resources suggested to most students of the class (any of their ten \
                 suggestions), at most ten.{}",
                suppressed_note(dropped, "resources")
            ),
            legend: Vec::new(),
            plot: Plot::Bars {
                labels,
                values,
                horizontal: true,
                x_desc: "students".into(),
                y_desc: String::new(),
            },
        });
    }
    tables.push(sug);

    // Per-student tables (only the one student's when the report is about one).
    let mut ability = Table::new(
        "ability",
        "Ability, student by student",
        &["student", "ability", "sd", "lower", "upper", "skills"],
    );
    for r in data.roster.iter().filter(|r| keep(&r.student_id)) {
        if let (Some(t), Some(s)) = (r.theta, r.sd) {
            ability.rows.push(vec![
                Cell::text(key_of(&r.student_id)),
                Cell::Num(t),
                Cell::Num(s),
                Cell::Num(t - s),
                Cell::Num(t + s),
                Cell::Int(i64::from(r.skills)),
            ]);
        }
    }
    let mut mastery = Table::new(
        "mastery",
        "Mastery: students × skills",
        &[
            "student",
            "skill",
            "ability",
            "sd",
            "answers",
            "expected_right",
        ],
    );
    for a in data.abilities.iter().filter(|a| keep(&a.student_id)) {
        mastery.rows.push(vec![
            Cell::text(key_of(&a.student_id)),
            Cell::text(&a.skill),
            Cell::Num(a.theta),
            Cell::Num(a.sd),
            Cell::Int(i64::from(a.answered)),
            Cell::opt_num(a.expected_right),
        ]);
    }
    let mut trajectories = Table::new(
        "trajectories",
        "Ability week by week",
        &["student", "skill", "week", "ability", "sd", "answers"],
    );
    for (id, skill, w) in data.mastery.iter().filter(|(id, _, _)| keep(id)) {
        trajectories.rows.push(vec![
            Cell::text(key_of(id)),
            Cell::text(skill_names.get(skill.as_str()).copied().unwrap_or(skill)),
            Cell::Int(i64::from(w.week) + 1),
            Cell::Num(w.theta),
            Cell::Num(w.sd),
            Cell::Int(w.answered as i64),
        ]);
    }
    let mut skills_table = Table::new(
        "skills",
        "Skills: the class's means",
        &[
            "number",
            "skill",
            "students",
            "mean_ability",
            "mean_expected_right",
            "suppressed",
        ],
    );
    for (i, ((name, _), (sum, right, n))) in skill_sums.iter().enumerate() {
        let ok = shown(*n);
        skills_table.rows.push(vec![
            Cell::Int(i as i64 + 1),
            Cell::text(name),
            if ok {
                Cell::Int(*n as i64)
            } else {
                Cell::Empty
            },
            if ok {
                Cell::Num(sum / *n as f64)
            } else {
                Cell::Empty
            },
            if ok {
                Cell::Num(right / *n as f64)
            } else {
                Cell::Empty
            },
            Cell::Bool(!ok),
        ]);
    }
    let mut risk = Table::new("at_risk", "At-risk flags", &["student", "rule", "reason"]);
    for f in data.risk.iter().filter(|f| keep(&f.student_id)) {
        risk.rows.push(vec![
            Cell::text(key_of(&f.student_id)),
            Cell::text(&f.rule),
            Cell::text(&f.reason),
        ]);
    }
    let mut roster_table = Table::new(
        "roster",
        "Roster",
        &[
            "student",
            "name",
            "answers",
            "share_right",
            "minutes",
            "active_weeks",
            "last_active",
            "ability",
            "ability_sd",
            "skills",
            "risk_rules",
            "mood",
            "comments",
        ],
    );
    for l in &roster {
        roster_table.rows.push(vec![
            Cell::text(&l.key),
            Cell::text(&l.name),
            Cell::Int(l.answers as i64),
            Cell::opt_num(l.share_right),
            Cell::Num(l.minutes),
            Cell::Int(i64::from(l.active_weeks)),
            Cell::opt_text(l.last_active.as_deref()),
            Cell::opt_num(l.theta),
            Cell::opt_num(l.sd),
            Cell::Int(i64::from(l.skills)),
            Cell::Int(i64::from(l.risk_rules)),
            Cell::opt_num(l.mood),
            Cell::Int(i64::from(l.comments)),
        ]);
    }
    tables.extend([
        roster_table,
        ability,
        mastery,
        trajectories,
        skills_table,
        risk,
    ]);
    if !options.include_comments {
        missing
            .push("Comment texts are left out (`--include-comments` adds each student's).".into());
    }

    let first = data.span.first_week.clone().unwrap_or_default();
    let period = match (&options.since, &data.span.as_of) {
        (Some(since), Some(end)) => format!(
            "from the week of {since} to {}; abilities use every answer",
            end.get(..10).unwrap_or(end)
        ),
        (None, Some(end)) => format!(
            "the whole term, {first} to {}",
            end.get(..10).unwrap_or(end)
        ),
        _ => "no activity recorded".into(),
    };
    ClassReport {
        class_id: data.class.class_id.clone(),
        name: data.class.name.clone(),
        grade: data.class.grade.clone(),
        teacher: (!pseudonymized && !data.class.teacher.is_empty())
            .then(|| data.class.teacher.clone()),
        students: data.roster.len(),
        period,
        as_of: data.span.as_of.clone(),
        pseudonymized,
        comments_included: options.include_comments,
        only: options.student.as_deref().map(key_of),
        key_figures,
        summary,
        charts,
        skill_legend,
        roster,
        at_risk,
        pages,
        tables,
        missing,
    }
}

/// Skills drawn in a student's trajectory chart, at most.
pub const TRAJECTORY_LINES: usize = 6;

fn suppressed_note(n: usize, what: &str) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" {n} {what} with fewer than {MIN_GROUP} students are left out.")
    }
}

fn roster_line(r: &RosterRow, ident: &HashMap<&str, (String, String, String)>) -> RosterLine {
    let (key, name, anchor) = ident
        .get(r.student_id.as_str())
        .cloned()
        .unwrap_or_default();
    RosterLine {
        key,
        name,
        anchor,
        answers: r.answers,
        share_right: share(r.correct, r.answers),
        minutes: r.minutes,
        active_weeks: r.active_weeks,
        last_active: r.last_active.clone(),
        theta: r.theta,
        sd: r.sd,
        skills: r.skills,
        risk_rules: r.risk_rules,
        mood: r.mood,
        comments: r.comments,
    }
}

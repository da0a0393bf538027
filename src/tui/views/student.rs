//! Student: what one student did, per skill and week, what they wrote and
//! searched, where they browsed and what they viewed. A grid of panels on a
//! wide screen; one section at a time (Left/Right) on a narrow one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Cell, Chart, Dataset, GraphType, LegendPosition, Paragraph, Row, Table, Wrap,
};

use super::{ascii_week_bars, clip, day, pad, percent, waiting};
use crate::ability::mastery::Direction;
use crate::store::dashboard::{StudentComment, StudentDetail};
use crate::tui::app::{App, Section};

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    if app.student.student_id.is_none() {
        waiting(
            t,
            frame,
            area,
            "Student",
            &app.student.detail,
            "Open a student from a class roster (2) with Enter.",
        );
        return;
    }
    let header_height = if area.width >= 120 { 3 } else { 4 };
    let [header_area, body] =
        Layout::vertical([Constraint::Length(header_height), Constraint::Fill(1)]).areas(area);
    header(app, frame, header_area);
    let Some(detail) = app.student.detail.ready() else {
        waiting(t, frame, body, "Student", &app.student.detail, "");
        return;
    };
    if body.width >= 120 && body.height >= 30 {
        grid(app, detail, frame, body);
    } else {
        let [tabs, section] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(body);
        section_tabs(app, frame, tabs);
        draw_section(app, detail, app.section(), frame, section);
    }
}

fn header(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let id = app.student.student_id.clone().unwrap_or_default();
    let line = match app.current_student() {
        Some(s) => {
            let class = app
                .school
                .ready()
                .and_then(|school| school.classes.get(s.class_index))
                .map_or("", |c| c.name.as_str());
            Line::from(vec![
                Span::styled(s.name.clone(), t.title()),
                Span::raw(format!("  {id}  class {class}  {} answers, ", s.responses)),
                Span::styled(
                    format!("{} correct", percent(s.correct_rate)),
                    s.correct_rate.map_or_else(Style::new, |r| t.rate(r)),
                ),
                Span::raw(format!(
                    ", {:.0} min on task, last active {}",
                    s.minutes_on_task,
                    s.last_active.as_deref().map(day).unwrap_or("never")
                )),
                Span::styled(risk_summary(app), t.error()),
            ])
        }
        None => Line::from(Span::styled(id, t.title())),
    };
    frame.render_widget(
        Paragraph::new(line)
            .wrap(Wrap { trim: true })
            .block(t.block(" Student ")),
        area,
    );
}

/// "  at risk: low ability, disengaged", or nothing.
fn risk_summary(app: &App) -> String {
    let Some(d) = app.student.detail.ready() else {
        return String::new();
    };
    let mut rules: Vec<String> = d.risk.iter().map(|f| f.rule.replace('_', " ")).collect();
    rules.dedup();
    if rules.is_empty() {
        String::new()
    } else {
        format!("  at risk: {}", rules.join(", "))
    }
}

fn section_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let spans: Vec<Span> = Section::ALL
        .iter()
        .map(|s| {
            let style = if *s == app.section() {
                t.selected()
            } else {
                t.dim()
            };
            Span::styled(format!(" {} ", s.short_title()), style)
        })
        .collect();
    frame.render_widget(Line::from(spans), area);
}

fn grid(app: &App, d: &StudentDetail, frame: &mut Frame, area: Rect) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let [skills, ability, suggestions, resources] = Layout::vertical([
        Constraint::Percentage(22),
        Constraint::Percentage(30),
        Constraint::Percentage(30),
        Constraint::Percentage(18),
    ])
    .areas(left);
    let [activity, comments, lists, insights] = Layout::vertical([
        Constraint::Length(12),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Length(8),
    ])
    .areas(right);
    let [searches, paths] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(lists);
    for (section, area) in [
        (Section::Skills, skills),
        (Section::Ability, ability),
        (Section::Suggestions, suggestions),
        (Section::Resources, resources),
        (Section::Activity, activity),
        (Section::Comments, comments),
        (Section::Searches, searches),
        (Section::Paths, paths),
        (Section::Insights, insights),
    ] {
        draw_section(app, d, section, frame, area);
    }
}

fn draw_section(app: &App, d: &StudentDetail, section: Section, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let focused = section == app.section();
    let scroll = if focused { app.student.scroll } else { 0 };
    let title = format!(" {} ", section.title());
    let block = if focused {
        t.focused_block(title)
    } else {
        t.block(title)
    };
    let visible = usize::from(area.height.saturating_sub(3));
    let start = |len: usize| scroll.min(len.saturating_sub(visible.max(1)));
    match section {
        Section::Skills => {
            let from = start(d.skills.len());
            let rows = d.skills.iter().skip(from).take(visible).map(|s| {
                Row::new(vec![
                    Cell::from(s.name.clone()),
                    Cell::from(Line::from(s.responses.to_string()).right_aligned()),
                    Cell::from(
                        Line::from(Span::styled(
                            percent(Some(s.correct_rate)),
                            t.rate(s.correct_rate),
                        ))
                        .right_aligned(),
                    ),
                    Cell::from(day(&s.last).to_string()),
                ])
            });
            let table = Table::new(
                rows,
                [
                    Constraint::Fill(1),
                    Constraint::Length(7),
                    Constraint::Length(7),
                    Constraint::Length(10),
                ],
            )
            .header(Row::new(["Skill", "Answers", "Correct", "Last"]).style(t.header()))
            .block(block);
            frame.render_widget(table, area);
        }
        Section::Activity => activity(app, d, frame, area, block),
        Section::Suggestions => {
            let (lines, selected_line) = suggestions(app, d, focused.then_some(scroll));
            // Keep the selected stop in sight: scroll by lines to it.
            let visible = usize::from(area.height.saturating_sub(2)).max(1);
            let from = selected_line.map_or(0, |l| (l + 2).saturating_sub(visible));
            list(
                app,
                frame,
                area,
                block,
                lines,
                from,
                "No suggestions yet: run classlens analyze to make them.",
            );
        }
        Section::Ability => {
            let lines = ability(app, d);
            list(
                app,
                frame,
                area,
                block,
                lines,
                scroll,
                "No abilities yet: run classlens analyze to fit them.",
            );
        }
        Section::Comments | Section::Searches | Section::Paths => {
            let (lines, empty): (Vec<Line>, &str) = match section {
                Section::Comments => (
                    d.comments
                        .iter()
                        .map(|c| {
                            let mut spans =
                                vec![Span::styled(format!("{} ", day(&c.time)), t.dim())];
                            if let Some(label) = sentiment_tag(c) {
                                spans.push(Span::styled(
                                    format!("{label} "),
                                    t.sentiment(c.sentiment.as_deref().unwrap_or("")),
                                ));
                            }
                            spans.push(Span::raw(c.text.clone()));
                            if let Some(topic) = &c.topic {
                                spans.push(Span::styled(format!("  #{topic}"), t.accent()));
                            }
                            if !c.resource.is_empty() {
                                spans.push(Span::styled(format!("  ({})", c.resource), t.dim()));
                            }
                            Line::from(spans)
                        })
                        .collect(),
                    "No comments.",
                ),
                Section::Searches => (
                    d.searches
                        .iter()
                        .map(|s| {
                            Line::from(vec![
                                Span::styled(format!("{} ", day(&s.time)), t.dim()),
                                Span::raw(s.query.clone()),
                            ])
                        })
                        .collect(),
                    "No searches.",
                ),
                _ => (
                    d.paths
                        .iter()
                        .map(|p| {
                            Line::from(vec![
                                Span::styled(format!("{:>3}x ", p.times), t.accent()),
                                Span::raw(p.path.clone()),
                            ])
                        })
                        .collect(),
                    "No browsing recorded.",
                ),
            };
            list(app, frame, area, block, lines, scroll, empty);
        }
        Section::Resources => {
            let from = start(d.resources.len());
            let tick = if t.ascii { "yes" } else { "✓" };
            let rows = d.resources.iter().skip(from).take(visible).map(|r| {
                Row::new(vec![
                    Cell::from(clip(t, &r.title, 60)),
                    Cell::from(r.kind.clone()),
                    Cell::from(Line::from(r.views.to_string()).right_aligned()),
                    Cell::from(Line::from(format!("{:.0}", r.minutes)).right_aligned()),
                    Cell::from(if r.completed { tick } else { "" }),
                ])
            });
            let table = Table::new(
                rows,
                [
                    Constraint::Fill(1),
                    Constraint::Length(8),
                    Constraint::Length(5),
                    Constraint::Length(7),
                    Constraint::Length(4),
                ],
            )
            .header(Row::new(["Title", "Kind", "Views", "Minutes", "Done"]).style(t.header()))
            .block(block);
            frame.render_widget(table, area);
        }
        Section::Insights => {
            let lines = interests(app, d);
            list(app, frame, area, block, lines, scroll, "");
        }
    }
}

/// Each suggestion (title, then its reasons), then the learning path; the
/// stop at `selected` (suggestions first, then steps) highlighted. Returns the
/// lines and the line the selected stop starts on.
fn suggestions<'a>(
    app: &App,
    d: &'a StudentDetail,
    selected: Option<usize>,
) -> (Vec<Line<'a>>, Option<usize>) {
    let t = &app.theme;
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = None;
    if d.suggestions.is_empty() && d.learning_path.is_empty() {
        return (lines, None);
    }
    for (i, s) in d.suggestions.iter().enumerate() {
        let here = selected == Some(i);
        if here {
            selected_line = Some(lines.len());
        }
        let title_style = if here { t.selected() } else { t.title() };
        let mut spans = vec![
            Span::styled(format!("{:>2}. ", s.rank), t.dim()),
            Span::styled(s.title.clone(), title_style),
            Span::styled(
                format!(
                    "  {} · {} · {:.0}% likely right",
                    s.kind,
                    if s.skill.is_empty() {
                        "no skill"
                    } else {
                        &s.skill
                    },
                    100.0 * s.predicted_success
                ),
                t.dim(),
            ),
        ];
        if s.pinned {
            spans.insert(1, Span::styled("[pinned] ", t.accent()));
        }
        lines.push(Line::from(spans));
        let reasons: Vec<&str> = s
            .reasons
            .iter()
            .map(String::as_str)
            .filter(|r| *r != "pinned by a teacher")
            .collect();
        lines.push(Line::from(Span::raw(format!("    {}", reasons.join("; ")))));
    }
    if !d.learning_path.is_empty() {
        lines.push(Line::from(Span::styled(
            "Learning path, prerequisites first:",
            t.header(),
        )));
        for (i, step) in d.learning_path.iter().enumerate() {
            let here = selected == Some(d.suggestions.len() + i);
            if here {
                selected_line = Some(lines.len());
            }
            lines.push(Line::from(vec![
                Span::styled(format!("{:>2}. ", step.step), t.dim()),
                Span::styled(
                    step.skill.clone(),
                    if here { t.selected() } else { t.title() },
                ),
                Span::raw(format!(": {}", step.why)),
                Span::styled(
                    match &step.resource {
                        Some(r) => format!("  {} {r}", if t.ascii { "->" } else { "→" }),
                        None => "  (every resource of it done)".to_string(),
                    },
                    t.dim(),
                ),
            ]));
        }
    }
    lines.push(Line::from(Span::styled(
        "p pins the selected suggestion, d hides it, u undoes either.",
        t.dim(),
    )));
    (lines, selected_line)
}

/// Abilities on this scale's ends, in logits: almost every student lies within.
const SCALE: f64 = 3.0;
const BAR_WIDTH: usize = 17;

/// At-risk flags, then per skill: the interval on a common scale, the estimate,
/// its trend and week-by-week line, and the explanation in words.
fn ability<'a>(app: &App, d: &'a StudentDetail) -> Vec<Line<'a>> {
    let t = &app.theme;
    if d.abilities.is_empty() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    if d.risk.is_empty() {
        lines.push(Line::from(Span::styled("At risk: no rule fired.", t.dim())));
    } else {
        lines.push(Line::from(Span::styled("At risk:", t.error())));
        for flag in &d.risk {
            lines.push(Line::from(vec![
                Span::styled(format!("  {} ", flag.rule.replace('_', " ")), t.error()),
                Span::raw(flag.reason.replace('±', plus_minus(t))),
            ]));
        }
    }
    let (dot, line, mean) = if t.ascii {
        ("o", "--", "|")
    } else {
        ("●", "──", "┆")
    };
    lines.push(Line::from(Span::styled(
        format!(
            "Scale -3 to +3, 0 the school's average: {dot} estimate, {line} {} 1 SD, {mean} class \
             mean; then the trend and the estimate week by week",
            plus_minus(t)
        ),
        t.dim(),
    )));
    for (s, e) in d.abilities.iter().zip(&d.explanations) {
        let weeks: Vec<f64> = d
            .mastery
            .iter()
            .filter(|(skill, _)| *skill == s.skill_id)
            .map(|(_, w)| w.theta)
            .collect();
        let trend = match e.trend.map(|t| t.direction) {
            Some(Direction::Rising) => {
                if t.ascii {
                    "up  "
                } else {
                    "↗   "
                }
            }
            Some(Direction::Falling) => {
                if t.ascii {
                    "down"
                } else {
                    "↘   "
                }
            }
            _ => "    ",
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", pad(t, &s.skill, 24)), t.title()),
            Span::styled(
                interval_bar(t, s.theta, s.sd, s.class_mean),
                t.ability(s.theta),
            ),
            Span::raw(format!(" {:+.1} {} {:.1} ", s.theta, plus_minus(t), s.sd)),
            Span::styled(trend, t.accent()),
            Span::styled(format!(" {}", theta_line(t, &weeks)), t.accent()),
        ]));
        // The bar line already says the skill and the estimate.
        let reasons = e
            .summary
            .strip_prefix(&format!("{}: ", s.skill))
            .and_then(|rest| rest.split_once(", ").map(|(_, reasons)| reasons))
            .unwrap_or(&e.summary);
        lines.push(Line::from(Span::styled(
            format!("  {}", reasons.replace('±', plus_minus(t))),
            t.dim(),
        )));
    }
    lines
}

/// "±", or "+-" where only ASCII may be drawn.
pub(super) fn plus_minus(t: &crate::tui::theme::Theme) -> &'static str {
    if t.ascii { "+-" } else { "±" }
}

/// The interval (estimate ± 1 SD) on [-SCALE, SCALE]: the estimate as a dot,
/// the interval as a line, the class mean as a bar where the interval is not.
fn interval_bar(t: &crate::tui::theme::Theme, theta: f64, sd: f64, class_mean: f64) -> String {
    let cell = |x: f64| -> usize {
        let at = (x.clamp(-SCALE, SCALE) + SCALE) / (2.0 * SCALE) * (BAR_WIDTH - 1) as f64;
        at.round() as usize
    };
    let (low, high, dot, mean) = (
        cell(theta - sd),
        cell(theta + sd),
        cell(theta),
        cell(class_mean),
    );
    let (line, point, background, marker) = if t.ascii {
        ('-', 'o', '.', '|')
    } else {
        ('─', '●', '·', '┆')
    };
    (0..BAR_WIDTH)
        .map(|i| {
            if i == dot {
                point
            } else if (low..=high).contains(&i) {
                line
            } else if i == mean {
                marker
            } else {
                background
            }
        })
        .collect()
}

/// Week-by-week estimates as a line of levels on the same scale as the bar.
fn theta_line(t: &crate::tui::theme::Theme, thetas: &[f64]) -> String {
    let levels = t.spark_levels();
    thetas
        .iter()
        .map(|theta| {
            let at = (theta.clamp(-SCALE, SCALE) + SCALE) / (2.0 * SCALE) * 7.0;
            levels[at.round() as usize]
        })
        .collect()
}

/// A comment's sentiment as a short word, so it reads without colour too.
fn sentiment_tag(c: &StudentComment) -> Option<&'static str> {
    match (c.sentiment.as_deref(), c.status.as_deref()) {
        (Some("negative"), _) => Some("neg"),
        (Some("neutral"), _) => Some("neu"),
        (Some("positive"), _) => Some("pos"),
        (_, Some("unsupported language")) => Some("(other language)"),
        _ => None,
    }
}

/// The student's mood and top interests, each with the evidence behind it.
fn interests<'a>(app: &App, d: &'a StudentDetail) -> Vec<Line<'a>> {
    let t = &app.theme;
    let scored: Vec<&str> = d
        .comments
        .iter()
        .filter_map(|c| c.sentiment.as_deref())
        .collect();
    if d.comments.iter().all(|c| c.status.is_none()) && d.interests.is_empty() {
        return vec![Line::from(Span::styled(
            "Not analysed yet: run classlens analyze to read the comments and searches.",
            t.dim(),
        ))];
    }
    let count = |label: &str| scored.iter().filter(|s| **s == label).count();
    let mut lines = vec![];
    let mood = app.current_student().and_then(|s| s.mood);
    lines.push(Line::from(vec![
        Span::raw("Mood "),
        match mood {
            Some(m) => Span::styled(format!("{m:+.2}"), t.mood(m)),
            None => Span::styled(t.dash(), t.dim()),
        },
        Span::raw(format!(
            ": {} positive, {} neutral, {} negative of their last {} comments",
            count("positive"),
            count("neutral"),
            count("negative"),
            d.comments.len(),
        )),
    ]));
    if !d.mood_weeks.is_empty() {
        let weeks = app.school.ready().map_or(0, |s| s.span.weeks as usize).max(
            d.mood_weeks
                .iter()
                .map(|w| w.0 as usize + 1)
                .max()
                .unwrap_or(0),
        );
        let mut spans = vec![Span::raw("By week ")];
        spans.extend(mood_weeks(t, &d.mood_weeks, weeks));
        spans.push(Span::styled(
            "  (low: negative, high: positive, blank: no comment)",
            t.dim(),
        ));
        lines.push(Line::from(spans));
    }
    if d.interests.is_empty() {
        lines.push(Line::from(Span::styled(
            "No interests yet: none of their comments or searches names a skill.",
            t.dim(),
        )));
    }
    for i in &d.interests {
        let mut spans = vec![
            Span::styled(i.skill.clone(), t.accent()),
            Span::raw(format!(
                "  {} comment{}, {} search{}",
                i.comments,
                if i.comments == 1 { "" } else { "s" },
                i.searches,
                if i.searches == 1 { "" } else { "es" }
            )),
        ];
        if let Some(latest) = &i.latest {
            spans.push(Span::styled(format!("  latest: \"{latest}\""), t.dim()));
        }
        lines.push(Line::from(spans));
    }
    lines
}

/// One character per week of the data: its height the week's mood, its
/// colour the mood's; blank for weeks without a scored comment.
fn mood_weeks<'a>(
    t: &crate::tui::theme::Theme,
    weeks: &[(u32, f64, u64)],
    span: usize,
) -> Vec<Span<'a>> {
    let levels = t.spark_levels();
    let mut cells: Vec<Span> = (0..span).map(|_| Span::raw(" ")).collect();
    for &(week, mood, _) in weeks {
        if let Some(cell) = cells.get_mut(week as usize) {
            let level = (((mood + 1.0) / 2.0 * 7.0).round() as usize).min(7);
            *cell = Span::styled(levels[level].to_string(), t.mood(mood));
        }
    }
    cells
}

fn list(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    block: Block,
    lines: Vec<Line>,
    scroll: usize,
    empty: &str,
) {
    let t = &app.theme;
    if lines.is_empty() {
        frame.render_widget(Paragraph::new(empty).style(t.dim()).block(block), area);
        return;
    }
    let visible = usize::from(area.height.saturating_sub(2)).max(1);
    let from = scroll.min(lines.len().saturating_sub(visible));
    let shown: Vec<Line> = lines.into_iter().skip(from).collect();
    frame.render_widget(
        Paragraph::new(shown)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

/// Answers and correct answers week by week.
fn activity(app: &App, d: &StudentDetail, frame: &mut Frame, area: Rect, block: Block) {
    let t = &app.theme;
    if d.weeks.is_empty() {
        frame.render_widget(
            Paragraph::new("No answers or views yet.")
                .style(t.dim())
                .block(block),
            area,
        );
        return;
    }
    let span = app.school.ready().map(|s| &s.span);
    let weeks = span.map_or(0, |s| s.weeks).max(2);
    // Weeks without activity are zeros, not gaps that a line would bridge.
    let mut answers: Vec<(f64, f64)> = (0..weeks).map(|i| (f64::from(i), 0.0)).collect();
    let mut correct = answers.clone();
    for w in &d.weeks {
        if let Some(i) = usize::try_from(w.week_index)
            .ok()
            .filter(|&i| i < answers.len())
        {
            answers[i].1 = w.responses as f64;
            correct[i].1 = w.correct as f64;
        }
    }
    let minutes: f64 = d.weeks.iter().map(|w| w.minutes).sum();
    let block =
        block.title_bottom(Line::from(format!(" {minutes:.0} min watched ")).right_aligned());
    if t.ascii {
        let counts: Vec<u64> = answers.iter().map(|&(_, n)| n as u64).collect();
        ascii_week_bars(
            t,
            frame,
            area,
            block.title(" answers per week "),
            &counts,
            false,
        );
        return;
    }
    let top = answers.iter().map(|p| p.1).fold(1.0, f64::max);
    let last = f64::from(weeks - 1);
    let first_week = span.and_then(|s| s.first_week.as_deref()).unwrap_or("");
    let last_week = span.and_then(|s| s.as_of.as_deref()).map(day).unwrap_or("");
    let chart = Chart::new(vec![
        Dataset::default()
            .name("answers")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(t.accent())
            .data(&answers),
        Dataset::default()
            .name("correct")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(t.info())
            .data(&correct),
    ])
    .block(block)
    .legend_position(Some(LegendPosition::TopLeft))
    .x_axis(
        Axis::default()
            .bounds([0.0, last])
            .labels(vec![first_week.to_string(), last_week.to_string()])
            .style(t.dim()),
    )
    .y_axis(
        Axis::default()
            .bounds([0.0, top])
            .labels(vec!["0".to_string(), format!("{top:.0}")])
            .style(t.dim()),
    );
    frame.render_widget(chart, area);
}

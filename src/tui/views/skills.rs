//! Skills: a skills x classes heatmap of the share of answers correct, and the
//! selected skill's prerequisites (what it needs, what it unlocks).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::{clip, is_wide, percent, waiting, window_start};
use crate::tui::app::App;
use crate::tui::data::SkillsData;

/// Characters per class column: two digits and spacing.
const CELL: u16 = 3;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(data) = app.skills.data.ready() else {
        waiting(t, frame, area, "Skills", &app.skills.data, "");
        return;
    };
    if data.skills.is_empty() {
        frame.render_widget(
            Paragraph::new("No skills in the catalog yet.")
                .style(t.dim())
                .block(t.block(" Skills ")),
            area,
        );
        return;
    }
    let (map_area, detail_area) = if is_wide(area) {
        let [a, b] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(48)]).areas(area);
        (a, b)
    } else {
        let [a, b] = Layout::vertical([Constraint::Fill(1), Constraint::Length(10)]).areas(area);
        (a, b)
    };
    heatmap(app, data, frame, map_area);
    prerequisites(app, data, frame, detail_area);
}

fn heatmap(app: &App, data: &SkillsData, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let name_width: u16 = if is_wide(frame.area()) { 28 } else { 22 };
    let inner = area.width.saturating_sub(2);
    let fit = usize::from(inner.saturating_sub(name_width + 6) / CELL);
    let first = app
        .skills
        .first_class
        .min(data.classes.len().saturating_sub(1));
    let shown = &data.classes[first..data.classes.len().min(first + fit)];

    let mut widths = vec![Constraint::Length(name_width), Constraint::Length(4)];
    widths.extend(shown.iter().map(|_| Constraint::Length(CELL - 1)));
    let mut header = vec![Cell::from("Skill"), Cell::from("All")];
    header.extend(shown.iter().map(|c| Cell::from(clip(t, &c.name, 2))));

    let visible = usize::from(area.height.saturating_sub(3));
    let len = data.skills.len();
    let start = window_start(app.skills.selected, len, visible);
    let rows = (start..len.min(start + visible)).map(|s| {
        let skill = &data.skills[s];
        let name_style = if s == app.skills.selected {
            t.selected()
        } else {
            Default::default()
        };
        let overall = data.overall_rate(s);
        let mut cells = vec![
            Cell::from(Span::styled(
                clip(t, &skill.name, usize::from(name_width)),
                name_style,
            )),
            Cell::from(Span::styled(
                percent(overall),
                overall.map_or_else(Default::default, |r| t.rate(r)),
            )),
        ];
        cells.extend(shown.iter().enumerate().map(|(offset, _)| {
            match data.rates[s].get(first + offset).copied().flatten() {
                Some((rate, _)) => {
                    Cell::from(format!("{:>2}", ((rate * 100.0).round() as u32).min(99)))
                        .style(t.heat(rate))
                }
                None => Cell::from(Span::styled(" .", t.dim())),
            }
        }));
        Row::new(cells)
    });
    let title = format!(
        " Percent correct by skill and class (classes {}-{} of {}; Left/Right scrolls) ",
        first + 1,
        first + shown.len(),
        data.classes.len()
    );
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.header()))
        .column_spacing(1)
        .block(t.block(title));
    frame.render_widget(table, area);
}

fn prerequisites(app: &App, data: &SkillsData, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let s = app.skills.selected.min(data.skills.len() - 1);
    let skill = &data.skills[s];
    let (middle, last, through) = t.tree();
    let mut lines = vec![
        Line::from(vec![
            Span::styled(skill.name.clone(), t.title()),
            Span::styled(format!("  {} ({})", skill.skill_id, skill.subject), t.dim()),
        ]),
        Line::from(format!(
            "{} of answers correct over all classes",
            percent(data.overall_rate(s))
        )),
    ];
    let tree = data.prerequisite_tree(s);
    if tree.is_empty() {
        lines.push(Line::from(Span::styled(
            "Needs no other skill first.",
            t.dim(),
        )));
    } else {
        lines.push(Line::from(Span::styled("Needs first:", t.header())));
        // Which depths still have siblings below, to draw the vertical lines.
        let mut open: Vec<bool> = Vec::new();
        for (skill_index, depth, is_last) in tree {
            open.truncate(depth - 1);
            let mut prefix: String = open
                .iter()
                .map(|&o| if o { through } else { "   " })
                .collect();
            prefix.push_str(if is_last { last } else { middle });
            open.push(!is_last);
            let needed = &data.skills[skill_index];
            let rate = data.overall_rate(skill_index);
            lines.push(Line::from(vec![
                Span::raw(prefix),
                Span::raw(needed.name.clone()),
                Span::styled(
                    format!(" {}", percent(rate)),
                    rate.map_or_else(Default::default, |r| t.rate(r)),
                ),
            ]));
        }
    }
    let unlocks: Vec<&str> = data.unlocks[s]
        .iter()
        .map(|&u| data.skills[u].name.as_str())
        .collect();
    lines.push(Line::from(vec![
        Span::styled("Unlocks: ", t.header()),
        Span::raw(if unlocks.is_empty() {
            "nothing further".to_string()
        } else {
            unlocks.join(", ")
        }),
    ]));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(skill.description.clone(), t.dim())));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(t.block(" Prerequisites ")),
        area,
    );
}

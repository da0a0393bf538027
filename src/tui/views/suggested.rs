//! Suggested: which resources the recommender suggests most, to how many
//! students of the class open in Class (or of the school), and in which classes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table};

use super::{clip, header_cell, note, right, waiting, window_start};
use crate::tui::app::App;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some((class, rows)) = app.suggested.data.ready() else {
        waiting(t, frame, area, "Suggested", &app.suggested.data, "");
        return;
    };
    let scope = class
        .as_deref()
        .map_or("the school".to_string(), |c| format!("class {c}"));
    if rows.is_empty() {
        note(
            t,
            frame,
            area,
            t.block(" Suggested "),
            "No suggestions yet: run classlens analyze to make them.",
        );
        return;
    }
    let visible = usize::from(area.height.saturating_sub(3));
    let start = window_start(app.suggested.selected, rows.len(), visible);
    let body = rows[start..rows.len().min(start + visible)]
        .iter()
        .enumerate()
        .map(|(offset, r)| {
            t.row(
                Row::new(vec![
                    Cell::from(clip(t, &r.title, 48)),
                    Cell::from(r.kind.clone()),
                    Cell::from(clip(t, &r.skill, 28)),
                    right(r.students.to_string()),
                    right(r.top3.to_string()),
                    right(format!("{:.0}%", 100.0 * r.predicted_success)),
                    Cell::from(clip(t, &r.classes, 40)),
                ]),
                start + offset == app.suggested.selected,
            )
        });
    let header = Row::new(vec![
        header_cell(t, "Resource", false, false),
        header_cell(t, "Kind", false, false),
        header_cell(t, "Skill", false, false),
        header_cell(t, "Students", true, true),
        header_cell(t, "Top 3", false, true),
        header_cell(t, "Likely right", false, true),
        header_cell(t, "Classes", false, false),
    ]);
    let table = Table::new(
        body,
        [
            Constraint::Fill(2),
            Constraint::Length(8),
            Constraint::Fill(1),
            Constraint::Length(8),
            Constraint::Length(5),
            Constraint::Length(12),
            Constraint::Fill(1),
        ],
    )
    .header(header)
    .column_spacing(1)
    .block(t.block(format!(
        " Suggested to students of {scope}: {} resources, most suggested first ",
        rows.len()
    )));
    frame.render_widget(table, area);
}

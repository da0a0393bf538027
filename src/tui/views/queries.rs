//! Queries: the saved teacher queries, their results in a scrollable table,
//! an ad-hoc SELECT line, and export of a result to CSV.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::{clip, is_wide, waiting, window_start};
use crate::store::reports::QueryResult;
use crate::tui::app::{App, Loadable};
use crate::tui::worker::QUERY_ROWS;

/// Widest a result column is drawn.
const MAX_COLUMN: usize = 32;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let (list_area, result_area) = if is_wide(area) {
        let [a, b] = Layout::horizontal([Constraint::Length(46), Constraint::Fill(1)]).areas(area);
        (a, b)
    } else {
        let height = (app.queries.reports.len() as u16 + 4).min(area.height / 2);
        let [a, b] =
            Layout::vertical([Constraint::Length(height), Constraint::Fill(1)]).areas(area);
        (a, b)
    };
    saved_list(app, frame, list_area);
    results(app, frame, result_area);
}

fn saved_list(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let q = &app.queries;
    let visible = usize::from(area.height.saturating_sub(3)).max(1);
    let start = window_start(q.selected, q.reports.len(), visible);
    let mut lines: Vec<Line> = q
        .reports
        .iter()
        .enumerate()
        .skip(start)
        .take(visible)
        .map(|(i, r)| {
            let style = if i == q.selected && !q.in_results {
                t.selected()
            } else if i == q.selected {
                t.header()
            } else {
                Default::default()
            };
            Line::from(Span::styled(r.name, style))
        })
        .collect();
    if let Some(r) = q.reports.get(q.selected) {
        lines.push(Line::from(Span::styled(r.description, t.dim())));
    }
    let block = if q.in_results {
        t.block(" Saved queries ")
    } else {
        t.focused_block(" Saved queries ")
    };
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        area,
    );
}

fn results(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let q = &app.queries;
    let result = match &q.result {
        Loadable::Ready(result) => result,
        other => {
            waiting(
                t,
                frame,
                area,
                "Result",
                other,
                "Enter runs the selected query. Type your own SELECT after ':'. \
                 x writes the result to a CSV file. Everything here is read-only.",
            );
            return;
        }
    };
    let title = format!(
        " {}: {} rows{}{} ",
        q.title,
        result.rows.len(),
        if result.truncated {
            format!(" (the first {QUERY_ROWS}; x exports all)")
        } else {
            String::new()
        },
        if q.first_column > 0 {
            format!(", from column {}", q.first_column + 1)
        } else {
            String::new()
        }
    );
    let block = if q.in_results {
        t.focused_block(title)
    } else {
        t.block(title)
    };
    if result.columns.is_empty() {
        frame.render_widget(Paragraph::new("No columns.").block(block), area);
        return;
    }
    let visible = usize::from(area.height.saturating_sub(3));
    let start = window_start(q.row, result.rows.len(), visible);
    let shown = start..result.rows.len().min(start + visible);
    let first = q.first_column.min(result.columns.len() - 1);
    let widths = column_widths(result, first, shown.clone());
    let header = Row::new(
        result.columns[first..]
            .iter()
            .zip(&widths)
            .map(|(c, &w)| Cell::from(clip(t, c, w))),
    )
    .style(t.header());
    let rows = shown.map(|i| {
        let cells = result.rows[i][first..]
            .iter()
            .zip(&widths)
            .map(|(v, &w)| match v {
                Some(v) => Cell::from(clip(t, v, w)),
                None => Cell::from(Span::styled("NULL", t.dim())),
            });
        t.row(Row::new(cells), i == q.row && q.in_results)
    });
    let table = Table::new(rows, widths.iter().map(|&w| Constraint::Length(w as u16)))
        .header(header)
        .column_spacing(2)
        .block(block);
    frame.render_widget(table, area);
    if result.rows.is_empty() {
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: 1,
        };
        frame.render_widget(
            Paragraph::new("No rows.")
                .style(t.dim())
                .wrap(Wrap { trim: true }),
            inner,
        );
    }
}

/// Each column as wide as its header and the values on screen, up to MAX_COLUMN.
fn column_widths(result: &QueryResult, first: usize, rows: std::ops::Range<usize>) -> Vec<usize> {
    result.columns[first..]
        .iter()
        .enumerate()
        .map(|(offset, name)| {
            let values = rows.clone().filter_map(|r| {
                result.rows[r][first + offset]
                    .as_ref()
                    .map(|v| super::columns(v))
            });
            values
                .chain([super::columns(name), 4])
                .max()
                .unwrap_or(4)
                .min(MAX_COLUMN)
        })
        .collect()
}

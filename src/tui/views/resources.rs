//! Resources: the catalog with how it is used, sortable and filterable.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table};

use super::{clip, header_cell, is_wide, listing_title, percent, right, waiting, window_start};
use crate::tui::app::App;
use crate::tui::data::ResourceColumn;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(resources) = app.resources.data.ready() else {
        waiting(t, frame, area, "Resources", &app.resources.data, "");
        return;
    };
    let listing = &app.resources.listing;
    let sort = app.resource_column();
    let with_skill = is_wide(area);
    let columns: Vec<ResourceColumn> = ResourceColumn::ALL
        .into_iter()
        .filter(|&c| with_skill || c != ResourceColumn::Skill || sort == ResourceColumn::Skill)
        .collect();
    let widths: Vec<Constraint> = columns
        .iter()
        .map(|c| match c {
            ResourceColumn::Title => Constraint::Fill(1),
            ResourceColumn::Kind => Constraint::Length(8),
            ResourceColumn::Skill => Constraint::Length(26),
            ResourceColumn::Views | ResourceColumn::Completion => Constraint::Length(5),
            ResourceColumn::Viewers | ResourceColumn::AvgMinutes => Constraint::Length(7),
            ResourceColumn::Length => Constraint::Length(6),
        })
        .collect();
    let header: Vec<Cell> = columns
        .iter()
        .map(|&c| header_cell(t, c.title(), c == sort, c.is_number()))
        .collect();
    let visible = usize::from(area.height.saturating_sub(3));
    let len = listing.order.len();
    let start = window_start(listing.selected, len, visible);
    let minutes = |m: Option<f64>| m.map_or_else(String::new, |m| format!("{m:.1}"));
    let rows = listing.order[start..len.min(start + visible)]
        .iter()
        .enumerate()
        .map(|(offset, &i)| {
            let r = &resources[i as usize];
            let cells: Vec<Cell> = columns
                .iter()
                .map(|c| match c {
                    ResourceColumn::Title => Cell::from(r.title.clone()),
                    ResourceColumn::Kind => Cell::from(r.kind.clone()),
                    ResourceColumn::Skill => Cell::from(clip(t, &r.skill, 26)),
                    ResourceColumn::Views => right(r.views.to_string()),
                    ResourceColumn::Viewers => right(r.viewers.to_string()),
                    ResourceColumn::Completion => right(percent(r.completion_rate)),
                    ResourceColumn::AvgMinutes => right(minutes(r.avg_minutes)),
                    ResourceColumn::Length => right(minutes(r.minutes)),
                })
                .collect();
            t.row(Row::new(cells), start + offset == listing.selected)
        });
    let title = listing_title(
        t,
        format!("Resources: {len} of {}", resources.len()),
        listing,
        &sort.title().to_lowercase(),
        "; Done = share of views to the end",
    );
    let table = Table::new(rows, widths)
        .header(Row::new(header))
        .column_spacing(1)
        .block(t.block(title));
    frame.render_widget(table, area);
}

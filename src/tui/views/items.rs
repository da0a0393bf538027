//! Items: the item analysis for teachers. Each item's difficulty and
//! discrimination with their standard errors, how many answered and got it
//! right, how well it fits, and why it is flagged; flagged items first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::student::plus_minus;
use super::{
    clip, header_cell, is_wide, listing_title, note, percent, right, waiting, window_start,
};
use crate::tui::app::App;
use crate::tui::data::ItemColumn;

/// What the flags mean, under the table.
const LEGEND: &str = "Difficulty: the ability (0 = school average) at which half get it right. \
    Discrim.: how sharply it separates weaker from stronger students (under 0.3 weak; negative: \
    check the key). Infit, outfit over 1.3: noisier than the model expects.";

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(items) = app.items.data.ready() else {
        waiting(t, frame, area, "Items", &app.items.data, "");
        return;
    };
    if items.is_empty() {
        note(
            t,
            frame,
            area,
            t.block(" Items "),
            "No item estimates yet: run classlens analyze to fit them.",
        );
        return;
    }
    let legend_height = if is_wide(area) { 2 } else { 3 };
    let [table_area, legend_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(legend_height)]).areas(area);
    let listing = &app.items.listing;
    let sort = app.item_column();
    let wide = is_wide(area);
    let columns: Vec<ItemColumn> = ItemColumn::ALL
        .into_iter()
        .filter(|&c| wide || !matches!(c, ItemColumn::Infit | ItemColumn::Answered) || c == sort)
        .collect();
    let widths: Vec<Constraint> = columns
        .iter()
        .map(|c| match c {
            ItemColumn::Flags => Constraint::Length(if wide { 26 } else { 14 }),
            ItemColumn::Item => Constraint::Length(8),
            ItemColumn::Skill => Constraint::Fill(1),
            ItemColumn::Difficulty | ItemColumn::Discrimination => Constraint::Length(12),
            ItemColumn::Answered => Constraint::Length(7),
            ItemColumn::Correct | ItemColumn::Infit | ItemColumn::Outfit => Constraint::Length(6),
        })
        .collect();
    let header: Vec<Cell> = columns
        .iter()
        .map(|&c| header_cell(t, c.title(), c == sort, c.is_number()))
        .collect();
    let visible = usize::from(table_area.height.saturating_sub(3));
    let len = listing.order.len();
    let start = window_start(listing.selected, len, visible);
    let fit = |x: Option<f64>| x.map_or_else(|| t.dash().to_string(), |x| format!("{x:.2}"));
    let rows = listing.order[start..len.min(start + visible)]
        .iter()
        .enumerate()
        .map(|(offset, &i)| {
            let item = &items[i as usize];
            let cells: Vec<Cell> = columns
                .iter()
                .map(|c| match c {
                    ItemColumn::Flags => Cell::from(Span::styled(
                        clip(t, &item.flags.replace('_', " ").replace(',', ", "), 26),
                        t.error(),
                    )),
                    ItemColumn::Item => Cell::from(item.item_id.clone()),
                    ItemColumn::Skill => Cell::from(item.skill.clone()),
                    ItemColumn::Difficulty => right(format!(
                        "{:+.2}{}{:.2}",
                        item.difficulty,
                        plus_minus(t),
                        item.difficulty_se
                    )),
                    ItemColumn::Discrimination => right(format!(
                        "{:.2}{}{:.2}",
                        item.discrimination,
                        plus_minus(t),
                        item.discrimination_se
                    )),
                    ItemColumn::Answered => right(item.answered.to_string()),
                    ItemColumn::Correct => right(percent(item.p_correct)),
                    ItemColumn::Infit => right(fit(item.infit)),
                    ItemColumn::Outfit => right(fit(item.outfit)),
                })
                .collect();
            t.row(Row::new(cells), start + offset == listing.selected)
        });
    let flagged = items.iter().filter(|i| !i.flags.is_empty()).count();
    let title = listing_title(
        t,
        format!("Items: {len} of {}, {flagged} flagged", items.len()),
        listing,
        &sort.title().to_lowercase(),
        &format!("; 2PL per skill, {} one standard error", plus_minus(t)),
    );
    let table = Table::new(rows, widths)
        .header(Row::new(header))
        .column_spacing(1)
        .block(t.block(title));
    frame.render_widget(table, table_area);
    frame.render_widget(
        Paragraph::new(LEGEND)
            .style(t.dim())
            .wrap(Wrap { trim: true }),
        legend_area,
    );
}

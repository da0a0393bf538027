//! Class: the roster, sortable by any column and filterable, beside the class's
//! distribution of the sort column. Only the rows on screen are built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Cell, Row, Table};

use super::{
    clip, day, is_wide, listing_title, note, percent, roster_title, waiting, window_start,
};
use crate::tui::app::{App, Loadable};
use crate::tui::data::{RosterColumn, Scope, StudentRow, histogram};
use crate::tui::theme::sparkline;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    if app.roster.scope.is_none() {
        let data: &Loadable<()> = match &app.school {
            Loadable::Ready(_) => &Loadable::NotAsked,
            Loadable::Failed(e) => &Loadable::Failed(e.clone()),
            _ => &Loadable::Loading,
        };
        waiting(
            t,
            frame,
            area,
            "Class",
            data,
            "Pick a class in Classes (1) and press Enter.",
        );
        return;
    }
    let Some(students) = app.students.ready() else {
        waiting(t, frame, area, "Class", &app.students, "");
        return;
    };
    let (table_area, chart_area) = if is_wide(area) {
        let [a, b] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(44)]).areas(area);
        (a, b)
    } else {
        let [a, b] = Layout::vertical([Constraint::Fill(1), Constraint::Length(8)]).areas(area);
        (a, b)
    };
    roster(app, students, frame, table_area);
    distribution(app, students, frame, chart_area);
}

fn roster(app: &App, students: &[StudentRow], frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let listing = &app.roster.listing;
    let school_wide = app.roster.scope == Some(Scope::School);
    let sort = app.roster_column();

    let mut widths = vec![Constraint::Fill(1)];
    let mut header = vec![Cell::from("Name")];
    if school_wide {
        widths.push(Constraint::Length(6));
        header.push(Cell::from("Class"));
    }
    for column in &RosterColumn::ALL[1..] {
        widths.push(Constraint::Length(match column {
            RosterColumn::LastActive => 11,
            RosterColumn::Trend | RosterColumn::Sentiment | RosterColumn::AtRisk => 4,
            RosterColumn::Ability => 7,
            _ => 7,
        }));
    }
    for column in RosterColumn::ALL {
        let style = if column == sort {
            t.header_active()
        } else {
            t.header()
        };
        let title = Line::from(Span::styled(column.title(), style));
        let title = if column.is_number() {
            title.right_aligned()
        } else {
            title
        };
        let cell = Cell::from(title);
        if column == RosterColumn::Name {
            header[0] = cell;
        } else {
            header.push(cell);
        }
    }

    let visible = usize::from(area.height.saturating_sub(3));
    let len = listing.order.len();
    let start = window_start(listing.selected, len, visible);
    let classes = app.school.ready().map(|s| &s.classes);
    let rows = listing.order[start..len.min(start + visible)]
        .iter()
        .enumerate()
        .map(|(offset, &i)| {
            let s = &students[i as usize];
            let mut cells = vec![Cell::from(s.name.clone())];
            if school_wide {
                let class = classes
                    .and_then(|c| c.get(s.class_index))
                    .map_or("", |c| c.name.as_str());
                cells.push(Cell::from(clip(t, class, 6)));
            }
            cells.extend([
                Cell::from(Line::from(s.responses.to_string()).right_aligned()),
                Cell::from(
                    Line::from(Span::styled(
                        percent(s.correct_rate),
                        s.correct_rate.map_or_else(Default::default, |r| t.rate(r)),
                    ))
                    .right_aligned(),
                ),
                Cell::from(Line::from(format!("{:.0}", s.minutes_watched)).right_aligned()),
                Cell::from(
                    s.last_active
                        .as_deref()
                        .map(day)
                        .unwrap_or("never")
                        .to_string(),
                ),
                Cell::from(Span::styled(sparkline(t, &s.trend), t.accent())),
                Cell::from(
                    Line::from(match s.ability {
                        Some(a) => Span::styled(format!("{a:+.2}"), t.ability(a)),
                        None => Span::styled(t.dash(), t.dim()),
                    })
                    .right_aligned(),
                ),
                Cell::from(
                    Line::from(match s.mood {
                        Some(m) => Span::styled(format!("{m:+.1}"), t.mood(m)),
                        None => Span::styled(t.dash(), t.dim()),
                    })
                    .right_aligned(),
                ),
                Cell::from(
                    Line::from(match s.risk {
                        Some(0) => Span::styled("0", t.dim()),
                        Some(n) => Span::styled(n.to_string(), t.error()),
                        None => Span::styled(t.dash(), t.dim()),
                    })
                    .right_aligned(),
                ),
            ]);
            t.row(Row::new(cells), start + offset == listing.selected)
        });
    let title = listing_title(
        t,
        format!("{}: {len} students", roster_title(app).unwrap_or_default()),
        listing,
        sort.meaning(),
        "",
    );
    let table = Table::new(rows, widths)
        .header(Row::new(header))
        .column_spacing(1)
        .block(t.block(title));
    frame.render_widget(table, area);
}

/// How the filtered roster spreads over the sort column.
fn distribution(app: &App, students: &[StudentRow], frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let column = app.roster_column();
    let block = t.block(format!(" Distribution: {} ", column.meaning()));
    let values: Vec<f64> = app
        .roster
        .listing
        .order
        .iter()
        .filter_map(|&i| column.value(&students[i as usize]))
        .collect();
    if values.is_empty() {
        let text = if column == RosterColumn::Name {
            "Sort by a number column (s or Left/Right) to see how the class spreads over it."
        } else {
            "No values to chart."
        };
        note(t, frame, area, block, text);
        return;
    }
    let inner = area.width.saturating_sub(2);
    let (bins, bar_width) = if is_wide(frame.area()) {
        (8, 4)
    } else {
        (12, (inner / 12).saturating_sub(1).clamp(3, 6))
    };
    let bars: Vec<Bar> = histogram(&values, bins)
        .into_iter()
        .map(|(lower, n)| {
            Bar::default()
                .value(n)
                .label(Line::from(short_number(lower)))
        })
        .collect();
    let chart = BarChart::default()
        .block(block)
        .data(BarGroup::default().bars(&bars))
        .bar_width(bar_width)
        .bar_gap(1)
        .bar_set(t.bar_set())
        .bar_style(t.accent())
        .value_style(t.selected());
    frame.render_widget(chart, area);
}

/// A bin's lower edge in at most four characters.
fn short_number(x: f64) -> String {
    if x.abs() >= 10_000.0 {
        format!("{:.0}k", x / 1000.0)
    } else if x.abs() >= 100.0 || x.fract().abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

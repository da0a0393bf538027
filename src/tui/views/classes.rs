//! Classes: one line per class, the whole school last, and the selected
//! class's answers week by week.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Cell, Row, Table};

use super::{clip, percent, waiting, window_start};
use crate::tui::app::App;
use crate::tui::data::ClassRow;
use crate::tui::theme::sparkline;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(school) = app.school.ready() else {
        waiting(t, frame, area, "Classes", &app.school, "");
        return;
    };
    let chart_height = if area.height >= 20 { 9 } else { 0 };
    let [table_area, chart_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(chart_height)]).areas(area);

    let with_teacher = table_area.width >= 100;
    let weeks = school.span.weeks as usize;
    let trend_width = weeks.clamp(4, 26);
    let name_width = school
        .classes
        .iter()
        .map(|c| super::columns(&c.name))
        .max()
        .unwrap_or(0)
        .clamp(12, 24) as u16;
    let mut widths = vec![Constraint::Length(name_width)];
    let mut header = vec!["Class"];
    if with_teacher {
        widths.push(Constraint::Length(18));
        header.push("Teacher");
    }
    widths.extend([
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(trend_width as u16),
    ]);
    header.extend([
        "Students",
        "Active",
        "Answers",
        "Correct",
        "Hours",
        "Answers/wk",
    ]);

    let visible = usize::from(table_area.height.saturating_sub(3));
    let len = school.class_list_len();
    let start = window_start(app.classes_selected, len, visible);
    let rows = (start..len.min(start + visible)).filter_map(|i| {
        let c = school.class_list_row(i)?;
        let is_total = i == school.classes.len();
        let mut cells = vec![Cell::from(c.name.clone())];
        if with_teacher {
            cells.push(Cell::from(clip(t, &c.teacher, 18)));
        }
        cells.extend(numbers(app, c, weeks, trend_width));
        let mut row = Row::new(cells);
        if is_total {
            row = row.style(t.header());
        }
        if i == app.classes_selected {
            row = row.style(t.selected());
        }
        Some(row)
    });
    let title = format!(
        " Classes: {} classes, {} students; active = in the last 7 days of data ",
        school.classes.len(),
        school.total.as_ref().map_or(0, |s| s.students)
    );
    let table = Table::new(rows, widths)
        .flex(Flex::Start)
        .header(Row::new(header).style(t.header()))
        .column_spacing(1)
        .block(t.block(Line::from(title)));
    frame.render_widget(table, table_area);

    if chart_height > 0
        && let Some(class) = school.class_list_row(app.classes_selected)
    {
        weekly_chart(app, frame, chart_area, class);
    }
}

fn numbers<'a>(app: &App, c: &ClassRow, weeks: usize, trend_width: usize) -> Vec<Cell<'a>> {
    let t = &app.theme;
    let rate = c.correct_rate();
    let recent = &c.weekly[weeks.saturating_sub(trend_width)..];
    vec![
        Cell::from(Line::from(c.students.to_string()).right_aligned()),
        Cell::from(Line::from(c.active_this_week.to_string()).right_aligned()),
        Cell::from(Line::from(c.responses.to_string()).right_aligned()),
        Cell::from(
            Line::from(Span::styled(
                percent(rate),
                rate.map_or_else(Default::default, |r| t.rate(r)),
            ))
            .right_aligned(),
        ),
        Cell::from(Line::from(format!("{:.1}", c.minutes_on_task / 60.0)).right_aligned()),
        Cell::from(Span::styled(sparkline(t, recent), t.accent())),
    ]
}

fn weekly_chart(app: &App, frame: &mut Frame, area: Rect, class: &ClassRow) {
    let t = &app.theme;
    let first = app
        .school
        .ready()
        .and_then(|s| s.span.first_week.clone())
        .unwrap_or_default();
    let bars: Vec<Bar> = class
        .weekly
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            Bar::default()
                .value(n)
                .label(Line::from(format!("{}", i + 1)))
                .text_value(String::new())
        })
        .collect();
    let inner = usize::from(area.width.saturating_sub(2));
    let bar_width = (inner / class.weekly.len().max(1))
        .saturating_sub(1)
        .clamp(1, 6) as u16;
    let chart = BarChart::default()
        .block(t.block(format!(
            " {}: answers per week, week 1 from {first} ",
            class.name
        )))
        .data(BarGroup::default().bars(&bars))
        .bar_width(bar_width)
        .bar_gap(1)
        .bar_set(t.bar_set())
        .bar_style(t.accent());
    frame.render_widget(chart, area);
}

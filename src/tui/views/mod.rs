//! Drawing: pure functions from `&App` to a frame, one module per view.

mod class;
mod classes;
mod comments;
mod items;
mod queries;
mod resources;
mod skills;
mod student;
mod suggested;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Clear, Paragraph, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::app::{App, InputKind, Loadable, Message, ViewId};
use super::data::Listing;
use super::keys::HELP;
use super::theme::Theme;

/// Smaller than this and the views cannot lay out their tables.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Wide enough to put panels side by side.
const WIDE: u16 = 120;

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(app, frame, area);
        return;
    }
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_tabs(app, frame, tabs);
    match app.view {
        ViewId::Classes => classes::render(app, frame, body),
        ViewId::Class => class::render(app, frame, body),
        ViewId::Student => student::render(app, frame, body),
        ViewId::Skills => skills::render(app, frame, body),
        ViewId::Resources => resources::render(app, frame, body),
        ViewId::Comments => comments::render(app, frame, body),
        ViewId::Queries => queries::render(app, frame, body),
        ViewId::Items => items::render(app, frame, body),
        ViewId::Suggested => suggested::render(app, frame, body),
    }
    render_status(app, frame, status);
    if app.help {
        render_help(app, frame, body);
    }
}

fn too_small(app: &App, frame: &mut Frame, area: Rect) {
    let text = format!(
        "The terminal is too small: {}x{}. classlens needs at least {MIN_WIDTH}x{MIN_HEIGHT}; \
         enlarge the window (q quits).",
        area.width, area.height
    );
    frame.render_widget(
        Paragraph::new(text)
            .style(app.theme.error())
            .wrap(Wrap { trim: true }),
        area,
    );
}

/// The view tabs: with the open class's and student's names when they fit,
/// then without, then closer together.
fn render_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width);
    let spans = [(true, true), (false, true), (false, false)]
        .into_iter()
        .map(|(named, padded)| tab_spans(app, named, padded))
        .find(|spans| spans.iter().map(Span::width).sum::<usize>() <= width)
        .unwrap_or_else(|| tab_spans(app, false, false));
    frame.render_widget(Line::from(spans), area);
}

fn tab_spans(app: &App, named: bool, padded: bool) -> Vec<Span<'static>> {
    let t = &app.theme;
    let mut spans = Vec::new();
    for (i, view) in ViewId::ALL.iter().enumerate() {
        let mut label = if padded {
            format!(" {} {}", i + 1, view.title())
        } else {
            format!("{} {}", i + 1, view.title())
        };
        match view {
            _ if !named => {}
            ViewId::Class => {
                if let Some(name) = roster_title(app) {
                    label.push_str(&format!(": {}", clip(t, &name, 14)));
                }
            }
            ViewId::Student => {
                if let Some(s) = app.current_student() {
                    label.push_str(&format!(": {}", clip(t, &s.name, 16)));
                }
            }
            _ => {}
        }
        label.push(' ');
        let style = if *view == app.view {
            t.selected().add_modifier(ratatui::style::Modifier::BOLD)
        } else {
            Style::new()
        };
        if !padded && i == 0 {
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(label, style));
    }
    spans
}

/// The roster's class name, or "Whole school".
pub(super) fn roster_title(app: &App) -> Option<String> {
    let school = app.school.ready()?;
    match app.roster.scope? {
        super::data::Scope::Class(i) => school.classes.get(i).map(|c| c.name.clone()),
        super::data::Scope::School => Some("Whole school".into()),
    }
}

fn render_status(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    if let Some(input) = &app.input {
        let prompt = match input.kind {
            InputKind::Filter => "filter: ",
            InputKind::Meaning => "find comments meaning: ",
            InputKind::Sql => "SQL (one SELECT, read-only): ",
            InputKind::ExportPath => "export CSV to: ",
            InputKind::ReportDir => match app.report_target {
                Some((_, true)) => "write the pseudonymized report to: ",
                _ => "write the report to: ",
            },
        };
        let line = Line::from(vec![
            Span::styled(prompt, t.title()),
            Span::raw(input.text.clone()),
            Span::styled(" ", t.selected()),
            Span::styled("   Enter: done  Esc: cancel", t.dim()),
        ]);
        frame.render_widget(line, area);
        return;
    }
    let (left_text, left_style) = match &app.message {
        Some(Message::Error(e)) => (e.clone(), t.error()),
        Some(Message::Info(m)) => (m.clone(), t.info()),
        None if t.ascii => (
            hints(app).replace("↑↓", "Up/Dn").replace("←→", "Lt/Rt"),
            t.dim(),
        ),
        None => (hints(app).to_string(), t.dim()),
    };
    // The left side first; then, as room allows: activity, freshness, the file.
    let width = usize::from(area.width);
    let mut room = width.saturating_sub(columns(&left_text) + 2);
    let mut right = String::new();
    let mut add = |part: String, room: &mut usize| {
        let n = columns(&part);
        if n <= *room {
            right.push_str(&part);
            *room -= n;
        }
    };
    if app.busy() {
        add(format!("{} loading  ", t.spinner(app.tick)), &mut room);
    }
    if let Some(school) = app.school.ready() {
        let fresh = match school.span.as_of.as_deref() {
            Some(as_of) => format!("data to {}  ", day(as_of)),
            None => "no activity yet  ".to_string(),
        };
        add(fresh, &mut room);
    }
    let path = app.db_path.display().to_string();
    if room >= 12 {
        let path = clip_left(t, &path, room.min(width / 2));
        add(path, &mut room);
    }
    let right_width = columns(&right) as u16;
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width)]).areas(area);
    let left = Line::from(Span::styled(left_text, left_style));
    frame.render_widget(left, left_area);
    frame.render_widget(
        Line::from(Span::styled(right, t.dim())).right_aligned(),
        right_area,
    );
}

fn hints(app: &App) -> &'static str {
    match app.view {
        ViewId::Classes => "Enter open  ↑↓ move  1-9 views  ? help  q quit",
        ViewId::Class => "Enter student  s/←→ sort  S reverse  / filter  Esc back  ? help",
        ViewId::Student => "←→ section  ↑↓ scroll  p/d/u pin/hide  Esc back  ? help",
        ViewId::Skills => "↑↓ skill  ←→ classes  Esc back  ? help  q quit",
        ViewId::Resources => "s/←→ sort  S reverse  / filter  Esc back  ? help",
        ViewId::Comments => "Enter student  ←→ mood  / filter  f meaning  Esc back  ? help",
        ViewId::Queries => "Enter run  : SQL  x export CSV  Esc back  ? help",
        ViewId::Items => "s/←→ sort  S reverse  / filter  Esc back  ? help",
        ViewId::Suggested => "↑↓ move  2 pick a class first for its view  Esc back  ? help",
    }
}

fn render_help(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = 76.min(area.width);
    let height = (HELP.len() as u16 + 4).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let mut lines: Vec<Line> = HELP
        .iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!("{keys:>19}  "), t.header()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "any key closes this help",
        t.dim(),
    )));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(t.focused_block(" Keys "))
            .wrap(Wrap { trim: false }),
        popup,
    );
}

/// What a panel shows while its data is not there.
pub(super) fn waiting<T>(
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    title: &str,
    data: &Loadable<T>,
    not_asked: &str,
) {
    let (text, style) = match data {
        Loadable::NotAsked => (not_asked.to_string(), theme.dim()),
        Loadable::Loading => (format!("loading{}", theme.ellipsis()), theme.dim()),
        Loadable::Failed(e) => (format!("Could not load this: {e}"), theme.error()),
        Loadable::Ready(_) => (String::new(), Style::new()),
    };
    frame.render_widget(
        Paragraph::new(text)
            .style(style)
            .wrap(Wrap { trim: true })
            .block(theme.block(format!(" {title} "))),
        area,
    );
}

/// A column title, highlighted when the table is sorted by it; numbers'
/// titles are right-aligned like their numbers.
pub(super) fn header_cell<'a>(
    theme: &Theme,
    title: &'a str,
    sorted_by: bool,
    number: bool,
) -> ratatui::widgets::Cell<'a> {
    let style = if sorted_by {
        theme.header_active()
    } else {
        theme.header()
    };
    let line = Line::from(Span::styled(title, style));
    ratatui::widgets::Cell::from(if number { line.right_aligned() } else { line })
}

/// A right-aligned cell, for numbers.
pub(super) fn right<'a>(text: String) -> ratatui::widgets::Cell<'a> {
    ratatui::widgets::Cell::from(Line::from(text).right_aligned())
}

/// A dim, wrapped paragraph in a panel: what a panel says instead of data.
pub(super) fn note(theme: &Theme, frame: &mut Frame, area: Rect, block: Block, text: &str) {
    frame.render_widget(
        Paragraph::new(text.to_string())
            .style(theme.dim())
            .wrap(Wrap { trim: true })
            .block(block),
        area,
    );
}

/// A sortable table's title: what it lists, the filter, the sort and its direction.
pub(super) fn listing_title(
    theme: &Theme,
    what: String,
    listing: &Listing,
    sorted_by: &str,
    extra: &str,
) -> String {
    let mut title = format!(" {what}");
    if !listing.filter.is_empty() {
        title.push_str(&format!(" matching \"{}\"", listing.filter));
    }
    title.push_str(&format!(
        ", sorted by {sorted_by}{}{extra} ",
        arrow(theme, listing.descending)
    ));
    title
}

/// The first row to draw so that `selected` is on screen: the cursor stays
/// mid-window while the list scrolls, which needs no remembered offset.
pub(super) fn window_start(selected: usize, len: usize, visible: usize) -> usize {
    if len <= visible {
        return 0;
    }
    selected.saturating_sub(visible / 2).min(len - visible)
}

pub(super) fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(String::new, |r| format!("{:.0}%", r * 100.0))
}

/// Columns `text` takes on a terminal: a CJK character takes two.
pub(super) fn columns(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// At most `width` columns, with an ellipsis when cut; a wide character that
/// would straddle the edge is left out whole, never cut in half.
pub(super) fn clip(theme: &Theme, text: &str, width: usize) -> String {
    if columns(text) <= width {
        return text.to_string();
    }
    let mark = theme.ellipsis();
    let mut room = width.saturating_sub(columns(mark));
    let mut out = String::new();
    for c in text.chars() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if w > room {
            break;
        }
        room -= w;
        out.push(c);
    }
    out.push_str(mark);
    out
}

/// `text` clipped to `width` columns and padded with spaces to exactly that many
/// (`format!("{:<w$}")` counts characters, which misaligns CJK).
pub(super) fn pad(theme: &Theme, text: &str, width: usize) -> String {
    let mut out = clip(theme, text, width);
    let fill = width.saturating_sub(columns(&out));
    out.extend(std::iter::repeat_n(' ', fill));
    out
}

/// The end of `text` (paths read best from the right), in at most `width` columns.
fn clip_left(theme: &Theme, text: &str, width: usize) -> String {
    if columns(text) <= width {
        return text.to_string();
    }
    let mark = theme.ellipsis();
    let mut room = width.saturating_sub(columns(mark));
    let mut tail: Vec<char> = Vec::new();
    for c in text.chars().rev() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if w > room {
            break;
        }
        room -= w;
        tail.push(c);
    }
    format!("{mark}{}", tail.into_iter().rev().collect::<String>())
}

/// The date part of a timestamp.
pub(super) fn day(timestamp: &str) -> &str {
    timestamp.get(..10).unwrap_or(timestamp)
}

/// Sort arrow for a header.
pub(super) fn arrow(theme: &Theme, descending: bool) -> &'static str {
    match (theme.ascii, descending) {
        (true, true) => " v",
        (true, false) => " ^",
        (false, true) => " ↓",
        (false, false) => " ↑",
    }
}

/// One bar per week, labelled 1, 2, ..., for `--ascii`: chart axes are
/// box-drawing lines, bars need none. `numbers`: the value over each bar.
pub(super) fn ascii_week_bars(
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    block: Block,
    values: &[u64],
    numbers: bool,
) {
    let bars: Vec<Bar> = values
        .iter()
        .enumerate()
        .map(|(week, &n)| {
            let bar = Bar::default()
                .value(n)
                .label(Line::from(format!("{}", week + 1)));
            if numbers {
                bar
            } else {
                bar.text_value(String::new())
            }
        })
        .collect();
    let width = (usize::from(area.width.saturating_sub(2)) / values.len().max(1))
        .saturating_sub(1)
        .clamp(1, 4) as u16;
    frame.render_widget(
        BarChart::default()
            .block(block)
            .data(BarGroup::default().bars(&bars))
            .bar_width(width)
            .bar_gap(1)
            .bar_set(theme.bar_set()),
        area,
    );
}

pub(super) fn is_wide(area: Rect) -> bool {
    area.width >= WIDE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_keeps_the_cursor_on_screen() {
        assert_eq!(window_start(0, 5, 10), 0);
        assert_eq!(window_start(3, 100, 10), 0);
        assert_eq!(window_start(50, 100, 10), 45);
        assert_eq!(window_start(99, 100, 10), 90);
    }

    #[test]
    fn clipping_marks_the_cut() {
        let t = Theme {
            color: false,
            ascii: true,
        };
        assert_eq!(clip(&t, "abcdef", 5), "ab...");
        assert_eq!(clip(&t, "abc", 5), "abc");
        assert_eq!(clip_left(&t, "/a/b/c/db.duckdb", 10), "....duckdb");
    }

    #[test]
    fn wide_characters_are_measured_in_columns_and_never_cut() {
        let t = Theme {
            color: false,
            ascii: true,
        };
        // Each of these takes two columns.
        assert_eq!(columns("分数很难"), 8);
        assert_eq!(clip(&t, "分数很难", 8), "分数很难");
        // 7 columns: 4 for the text, 3 for "...": the third character would straddle.
        assert_eq!(clip(&t, "分数很难", 7), "分数...");
        assert_eq!(clip(&t, "分数很难", 6), "分...");
        for width in 3..12 {
            let cut = clip(&t, "我喜欢这个视频 video", width);
            assert!(columns(&cut) <= width, "{cut:?} in {width}");
        }
        assert_eq!(clip_left(&t, "/学校/数据.duckdb", 12), "...据.duckdb");
        assert_eq!(pad(&t, "分数", 6), "分数  ");
        assert_eq!(columns(&pad(&t, "分数很难的题", 9)), 9);
    }
}

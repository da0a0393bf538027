//! Comments: what the class (or the school) wrote, newest first, each with its
//! sentiment and topic; the weekly sentiment trend above. Left/Right picks a
//! mood, `/` filters by text, student or topic, `f` searches by meaning.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Cell, Chart, Dataset, GraphType, LegendPosition, Row, Table};

use super::{ascii_week_bars, clip, day, note, roster_title, waiting, window_start};
use crate::store::dashboard::{CommentFeed, FeedComment};
use crate::tui::app::App;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(feed) = app.comments.data.ready() else {
        waiting(t, frame, area, "Comments", &app.comments.data, "");
        return;
    };
    let chart_height = if area.height >= 36 { 12 } else { 7 };
    let [chart_area, table_area] =
        Layout::vertical([Constraint::Length(chart_height), Constraint::Fill(1)]).areas(area);
    trend(app, feed, frame, chart_area);
    table(app, feed, frame, table_area);
}

fn scope(app: &App, feed: &CommentFeed) -> String {
    match &feed.class_id {
        Some(_) => roster_title(app).unwrap_or_else(|| "class".into()),
        None => "Whole school".into(),
    }
}

/// Share of the week's scored comments that were positive and negative.
fn trend(app: &App, feed: &CommentFeed, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let block = t.block(format!(" Mood per week: {} ", scope(app, feed)));
    if feed.weeks.is_empty() {
        note(
            t,
            frame,
            area,
            block,
            "No scored comments yet: classlens analyze reads them.",
        );
        return;
    }
    let share = |week: &[u64; 3], label: usize| {
        let all: u64 = week.iter().sum();
        100.0 * week[label] as f64 / all.max(1) as f64
    };
    if t.ascii {
        let negative: Vec<u64> = feed
            .weeks
            .iter()
            .map(|(_, w)| share(w, 0).round() as u64)
            .collect();
        let block = block.title_bottom(" % negative per week ");
        ascii_week_bars(t, frame, area, block, &negative, true);
        return;
    }
    let points = |label: usize| -> Vec<(f64, f64)> {
        feed.weeks
            .iter()
            .enumerate()
            .map(|(i, (_, w))| (i as f64, share(w, label)))
            .collect()
    };
    let (negative, positive) = (points(0), points(2));
    let last = (feed.weeks.len().max(2) - 1) as f64;
    let first_week = feed.weeks.first().map_or("", |w| w.0.as_str());
    let last_week = feed.weeks.last().map_or("", |w| w.0.as_str());
    let chart = Chart::new(vec![
        Dataset::default()
            .name("% positive")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(t.sentiment("positive"))
            .data(&positive),
        Dataset::default()
            .name("% negative")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(t.sentiment("negative"))
            .data(&negative),
    ])
    .block(block)
    .legend_position(Some(LegendPosition::TopRight))
    .x_axis(
        Axis::default()
            .bounds([0.0, last])
            .labels(vec![first_week.to_string(), last_week.to_string()])
            .style(t.dim()),
    )
    .y_axis(
        Axis::default()
            .bounds([0.0, 100.0])
            .labels(vec!["0".to_string(), "100".to_string()])
            .style(t.dim()),
    );
    frame.render_widget(chart, area);
}

/// The sentiment as a short word, so it reads without colour too.
fn mood_word(c: &FeedComment) -> &'static str {
    match (c.sentiment.as_deref(), c.status.as_deref()) {
        (Some("negative"), _) => "neg",
        (Some("neutral"), _) => "neu",
        (Some("positive"), _) => "pos",
        (_, Some("unsupported language")) => "lang",
        _ => "",
    }
}

fn table(app: &App, feed: &CommentFeed, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let listing = &app.comments.listing;
    let searched = feed.search.is_some();
    let wide = area.width >= 120;
    let mut widths = Vec::new();
    let mut header = Vec::new();
    if searched {
        widths.push(Constraint::Length(5));
        header.push("Score");
    }
    widths.extend([
        Constraint::Length(10),
        Constraint::Length(if wide { 18 } else { 12 }),
        Constraint::Length(4),
        Constraint::Length(if wide { 24 } else { 14 }),
        Constraint::Fill(1),
    ]);
    header.extend(["When", "Student", "Mood", "Topic", "Comment"]);
    let visible = usize::from(area.height.saturating_sub(3));
    let len = listing.order.len();
    let start = window_start(listing.selected, len, visible);
    let rows = listing.order[start..len.min(start + visible)]
        .iter()
        .enumerate()
        .map(|(offset, &i)| {
            let c = &feed.comments[i as usize];
            let mut cells = Vec::new();
            if searched {
                cells.push(Cell::from(
                    Line::from(c.score.map_or_else(String::new, |s| format!("{s:.2}")))
                        .right_aligned(),
                ));
            }
            // A topic the text names is a tag; one only its resource gives is dim.
            let topic = c.topic.as_deref().unwrap_or("");
            let topic_style = if c.topic_from.as_deref() == Some("text") {
                t.accent()
            } else {
                t.dim()
            };
            cells.extend([
                Cell::from(day(&c.time).to_string()),
                Cell::from(clip(t, &c.student, if wide { 18 } else { 12 })),
                Cell::from(Span::styled(
                    mood_word(c),
                    t.sentiment(c.sentiment.as_deref().unwrap_or("")),
                )),
                Cell::from(Span::styled(
                    clip(t, topic, if wide { 24 } else { 14 }),
                    topic_style,
                )),
                Cell::from(c.text.clone()),
            ]);
            t.row(Row::new(cells), start + offset == listing.selected)
        });
    let mut title = format!(
        " Comments: {}: {len} of {}",
        scope(app, feed),
        feed.comments.len()
    );
    if let Some(mood) = app.comments.sentiment_filter() {
        title.push_str(&format!(", {mood} only"));
    }
    if !listing.filter.is_empty() {
        title.push_str(&format!(" matching \"{}\"", listing.filter));
    }
    match &feed.search {
        Some(q) => title.push_str(&format!(", closest in meaning to \"{q}\" ")),
        None => title.push_str(", newest first "),
    }
    let block: Block = t.block(title);
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.header()))
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
}

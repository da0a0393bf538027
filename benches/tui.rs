//! The dashboard in process, on a demo database: time to the first full
//! frame (store opened, class list read, frame drawn), time until the roster
//! data is in, and key press -> frame rendered on the whole-school roster
//! (scroll, page, sort, filter), each key an `App::update` plus a full draw
//! into a 160x48 buffer.
//!
//! `cargo bench --bench tui -- DB`; prints one line per measurement.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use classlens::store::{Access, Store};
use classlens::tui::app::{Action, App, ViewId};
use classlens::tui::{Theme, views, worker};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

type Requests = Vec<(worker::Ticket, worker::Request)>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db: PathBuf = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .ok_or("usage: cargo bench --bench tui -- DATABASE")?;
    let mut terminal = Terminal::new(TestBackend::new(160, 48))?;
    let theme = Theme {
        color: true,
        ascii: false,
    };

    // First full frame: what `classlens` does before the teacher sees the classes.
    let mut first_frames = Vec::new();
    let mut roster_loads = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let store = Store::open(&db, Access::ReadOnly)?;
        let mut app = App::new(db.clone(), theme, (160, 48));
        let requests = app.start();
        let students = answer_one_round(&store, &mut app, requests);
        terminal.draw(|f| views::render(&app, f))?;
        first_frames.push(started.elapsed());
        let started = Instant::now();
        answer_all(&store, &mut app, students);
        roster_loads.push(started.elapsed());
    }
    println!(
        "first full frame (open, class list, draw): median {:.0} ms, min {:.0} ms",
        ms(median(&mut first_frames)),
        ms(first_frames[0])
    );
    println!(
        "roster data for every student after that: median {:.0} ms",
        ms(median(&mut roster_loads))
    );

    let store = Store::open(&db, Access::ReadOnly)?;
    let mut app = App::new(db.clone(), theme, (160, 48));
    let requests = app.start();
    answer_all(&store, &mut app, requests);
    let requests = app.update(Action::Show(ViewId::Classes));
    answer_all(&store, &mut app, requests);
    let requests = app.update(Action::Bottom);
    answer_all(&store, &mut app, requests);
    let requests = app.update(Action::Open);
    answer_all(&store, &mut app, requests);
    let students = app.roster.listing.order.len();
    println!("whole-school roster: {students} students");

    let mut measure =
        |name: &str, actions: Vec<Action>| -> Result<(), Box<dyn std::error::Error>> {
            let mut times = Vec::with_capacity(actions.len());
            for action in actions {
                let started = Instant::now();
                let requests = app.update(action);
                terminal.draw(|f| views::render(&app, f))?;
                times.push(started.elapsed());
                answer_all(&store, &mut app, requests);
            }
            report(name, &mut times);
            Ok(())
        };
    measure(
        "scroll (Down x500)",
        (0..500).map(|_| Action::Down).collect(),
    )?;
    measure(
        "page (PgDn x100, PgUp x100)",
        (0..100)
            .map(|_| Action::PageDown)
            .chain((0..100).map(|_| Action::PageUp))
            .collect(),
    )?;
    measure(
        "sort (s x30, S x30)",
        (0..30)
            .map(|_| Action::NextSort)
            .chain((0..30).map(|_| Action::ReverseSort))
            .collect(),
    )?;
    let mut typing = vec![Action::StartFilter];
    for _ in 0..5 {
        typing.extend("ann".chars().map(Action::Type));
        typing.extend((0..3).map(|_| Action::Erase));
    }
    typing.push(Action::Cancel);
    measure("filter (type and erase 'ann' x5)", typing)?;
    measure(
        "jump (G, g x50)",
        (0..50)
            .flat_map(|_| [Action::Bottom, Action::Top])
            .collect(),
    )?;
    Ok(())
}

/// Answers the requests given, and returns the ones their answers cause.
fn answer_one_round(store: &Store, app: &mut App, requests: Requests) -> Requests {
    let mut next = Vec::new();
    for (ticket, request) in requests {
        let answer = worker::handle(store, request);
        next.extend(app.update(Action::Answer(ticket, Box::new(answer))));
    }
    next
}

fn answer_all(store: &Store, app: &mut App, mut requests: Requests) {
    while !requests.is_empty() {
        requests = answer_one_round(store, app, requests);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "key -> frame, {name}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} keys)",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(times[times.len() - 1]),
        times.len()
    );
}

//! The teacher's dashboard. The only module that touches the terminal.
//!
//! One loop: draw the frame from `&App`, wait for a message (a key, a resize,
//! a worker's answer or the spinner's tick), turn it into an `Action`, let
//! `App::update` change the state and hand back database requests for the
//! worker thread.

pub mod app;
pub mod data;
pub mod keys;
pub mod theme;
pub mod views;
pub mod worker;

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::event::{self, Event};
use ratatui::crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::prelude::CrosstermBackend;

use crate::store::Store;
pub use app::{Action, App, ViewId};
pub use theme::Theme;

/// Everything the loop waits for.
enum Message {
    Terminal(Event),
    TerminalGone(String),
    /// Boxed here already, as `Action::Answer` holds it: answers are large.
    Worker(worker::Ticket, Box<worker::Answer>),
}

/// How often the spinner turns while the worker is busy.
const TICK: Duration = Duration::from_millis(120);

/// Opens the dashboard on the database at `path` until the teacher quits.
///
/// The database is opened read-only (two teachers can look at one file at
/// once), and before the screen is taken over, so a missing or locked file is
/// an ordinary error message on a normal terminal. `allow_upgrade` lets an
/// older file's schema be upgraded first.
pub fn run(path: &Path, theme: Theme, allow_upgrade: bool) -> anyhow::Result<()> {
    let store = Store::open_read_only(path, allow_upgrade)?;
    let started = Instant::now();
    let (tx, rx) = mpsc::channel::<Message>();
    let (requests_tx, requests_rx) = mpsc::channel();
    worker::spawn(store, requests_rx, tx.clone(), |ticket, answer| {
        Message::Worker(ticket, Box::new(answer))
    })?;

    install_panic_hook();
    // Restores the terminal on every way out of this function, errors included.
    let _restore = RestoreTerminal;
    ratatui::crossterm::terminal::enable_raw_mode()?;
    ratatui::crossterm::execute!(std::io::stdout(), EnterAlternateScreen)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    let input = tx;
    std::thread::Builder::new()
        .name("classlens-keys".into())
        .spawn(move || {
            loop {
                let message = match event::read() {
                    Ok(e) => Message::Terminal(e),
                    Err(e) => Message::TerminalGone(e.to_string()),
                };
                let gone = matches!(message, Message::TerminalGone(_));
                if input.send(message).is_err() || gone {
                    break;
                }
            }
        })?;

    let size = terminal.size()?;
    let mut app = App::new(path.to_path_buf(), theme, (size.width, size.height));
    app.writable = allow_upgrade;
    let send = |requests: app::Requests| {
        for request in requests {
            // A closed channel means the worker died; its panic message is on
            // its way and the app shows what it has.
            let _ = requests_tx.send(request);
        }
    };
    send(app.start());
    let mut first_frame_logged = false;
    loop {
        terminal.draw(|frame| views::render(&app, frame))?;
        if !first_frame_logged && app.school.ready().is_some() {
            first_frame_logged = true;
            if std::env::var_os("CLASSLENS_TRACE").is_some() {
                log_trace(started);
            }
        }
        if app.quit {
            break;
        }
        let wait = if app.busy() {
            TICK
        } else {
            Duration::from_secs(3600)
        };
        let first = match rx.recv_timeout(wait) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut actions = Vec::new();
        match first {
            None => actions.push(Action::Tick),
            Some(m) => {
                // Everything already waiting is handled before the next draw,
                // so a held-down key never queues frames.
                for m in std::iter::once(m).chain(rx.try_iter()) {
                    match m {
                        Message::Terminal(Event::Key(key)) => {
                            actions.extend(keys::action_for(&app, key))
                        }
                        Message::Terminal(Event::Resize(w, h)) => {
                            actions.push(Action::Resize(w, h))
                        }
                        Message::Terminal(_) => {}
                        Message::TerminalGone(e) => anyhow::bail!("lost the terminal: {e}"),
                        Message::Worker(ticket, answer) => {
                            actions.push(Action::Answer(ticket, answer))
                        }
                    }
                }
            }
        }
        for action in actions {
            send(app.update(action));
            if app.quit {
                break;
            }
        }
    }
    Ok(())
}

/// With CLASSLENS_TRACE=FILE, the moment of the first full frame is appended
/// to FILE (the screen belongs to the dashboard), for the benchmarks.
fn log_trace(started: Instant) {
    let unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let line = format!(
        "first_full_frame unix_ms={unix_ms} since_open_ms={:.1}\n",
        started.elapsed().as_secs_f64() * 1000.0
    );
    if let Some(path) = std::env::var_os("CLASSLENS_TRACE") {
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
    }
}

struct RestoreTerminal;

impl Drop for RestoreTerminal {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn restore_terminal() {
    // Each step on its own: one failing must not keep the others from running.
    let _ = ratatui::crossterm::terminal::disable_raw_mode();
    let _ = ratatui::crossterm::execute!(std::io::stdout(), LeaveAlternateScreen, Show);
}

/// A panic on the screen's thread puts the terminal back before the message is
/// printed. A panic in the database thread is caught there and shown as an
/// error line instead, so it must neither restore the terminal nor print
/// over the dashboard.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some(worker::THREAD) {
            return;
        }
        restore_terminal();
        previous(info);
    }));
}

//! Keys to actions. The conventions people already have: arrows and hjkl,
//! PgUp/PgDn, g/G, Enter, Esc back, `/` filter, `s` sort, `q` quit.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{Action, App, ViewId};

/// The help overlay's lines: (keys, what they do).
pub const HELP: &[(&str, &str)] = &[
    (
        "1-9, Tab, Shift-Tab",
        "views: Classes Class Student Skills Resources Comments Queries Items Suggested",
    ),
    (
        "Up/Down, j/k",
        "move the cursor; in a student, scroll the section",
    ),
    (
        "PgUp/PgDn, g/G",
        "a page up or down; the first or the last row",
    ),
    ("Enter", "open the class or the student; run the query"),
    ("Esc", "back (or out of query results, or stop typing)"),
    (
        "Left/Right, h/l",
        "sort column; student section; comment mood; scroll sideways",
    ),
    ("s / S", "sort by the next column / reverse the order"),
    (
        "/",
        "filter the roster, the resources, the comments or the items (Esc clears)",
    ),
    ("f", "find comments by meaning (Esc: the latest again)"),
    (":", "type one SELECT to run, read-only"),
    ("x", "export the query result to a CSV file"),
    ("r / R", "write the class's report (R: pseudonymized)"),
    ("p / d / u", "pin, hide or undo a student's suggestion"),
    ("?", "this help"),
    ("q, Ctrl-C", "quit"),
];

pub fn action_for(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c' | 'd')) {
        return Some(Action::Quit);
    }
    if app.input.is_some() {
        return match key.code {
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Esc => Some(Action::Cancel),
            KeyCode::Backspace => Some(Action::Erase),
            KeyCode::Char(c) if !ctrl => Some(Action::Type(c)),
            _ => None,
        };
    }
    let action = match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Char(c @ '1'..='9') => Action::Show(ViewId::ALL[(c as usize) - ('1' as usize)]),
        KeyCode::Tab => Action::NextView,
        KeyCode::BackTab => Action::PrevView,
        KeyCode::Esc | KeyCode::Backspace => Action::Back,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::Left | KeyCode::Char('h') => Action::Left,
        KeyCode::Right | KeyCode::Char('l') => Action::Right,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown | KeyCode::Char(' ') => Action::PageDown,
        KeyCode::Char('b') if ctrl => Action::PageUp,
        KeyCode::Char('f') if ctrl => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Enter => Action::Open,
        KeyCode::Char('s') => Action::NextSort,
        KeyCode::Char('S') => Action::ReverseSort,
        KeyCode::Char('/') => Action::StartFilter,
        KeyCode::Char('f') => Action::StartMeaning,
        KeyCode::Char(':') => Action::StartSql,
        KeyCode::Char('x') => Action::StartExport,
        KeyCode::Char('r') => Action::StartReport(false),
        KeyCode::Char('R') => Action::StartReport(true),
        KeyCode::Char('p') => Action::Override(Some(crate::store::recommend::Action::Pin)),
        KeyCode::Char('d') => Action::Override(Some(crate::store::recommend::Action::Hide)),
        KeyCode::Char('u') => Action::Override(None),
        _ => return None,
    };
    Some(action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::Theme;

    fn app() -> App {
        App::new(
            "x.duckdb".into(),
            Theme {
                color: true,
                ascii: false,
            },
            (80, 24),
        )
    }

    #[test]
    fn typing_goes_to_the_input_not_to_commands() {
        let mut app = app();
        app.update(Action::Show(ViewId::Class));
        app.update(Action::StartFilter);
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert!(matches!(action_for(&app, q), Some(Action::Type('q'))));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(matches!(action_for(&app, ctrl_c), Some(Action::Quit)));
    }

    #[test]
    fn number_keys_pick_views() {
        let app = app();
        let four = KeyEvent::new(KeyCode::Char('4'), KeyModifiers::NONE);
        assert!(matches!(
            action_for(&app, four),
            Some(Action::Show(ViewId::Skills))
        ));
    }
}

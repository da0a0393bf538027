//! The dashboard on the committed fixture school: every view drawn at 80x24
//! and 160x48 (insta snapshots of the screen text), and key sequences through
//! `App::update` with the worker's requests answered in line by the real store.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use classlens::store::ingest::IngestOptions;
use classlens::store::recommend::Action as Action2;
use classlens::store::{Access, Store};
use classlens::tui::app::{Action, App, InputKind, Loadable, Message, Section, ViewId};
use classlens::tui::data::{RosterColumn, Scope, StudentRow};
use classlens::tui::worker;
use classlens::tui::{Theme, views};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

/// The fixture school, ingested, its comments analysed (the real model, in f32
/// so that no label depends on the CPU having bfloat16) and its abilities
/// fitted, once per test binary.
fn school_db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        use classlens::text::{self, bert::Precision, encoder, insights, model, sentiment};
        let dir = tempfile::tempdir().expect("temp dir").keep();
        let db = dir.join("school.duckdb");
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dashboard-school");
        let mut store = Store::open(&db, Access::ReadWrite).expect("create db");
        store
            .ingest(&[fixture], &IngestOptions::default(), &mut |_| {})
            .expect("the dashboard fixture ingests");
        let info = model::verify(&model::default_manifest(), common::fetched()).expect("model");
        let key = info.cache_key();
        let encoder = encoder::Encoder::load_with_precision(
            &info.dir,
            encoder::DeviceChoice::Cpu,
            256,
            Some(Precision::F32),
        )
        .expect("encoder");
        // MiniLM alone: comments in other languages stay unscored.
        let route = text::routing::Route::single(&key);
        for plan in text::plan_new_texts(&store, &route).expect("plan") {
            text::encode_plan(&mut store, &encoder, plan, 32, &mut |_, _| {}).expect("encode");
        }
        let head = sentiment::SentimentHead::shipped().expect("the shipped head");
        let heads = insights::Heads::from([(key.clone(), head)]);
        insights::refresh(&mut store, &route, &heads).expect("comments analysed");
        classlens::ability::school::refresh(&mut store).expect("abilities fitted");
        classlens::ability::school::refresh_risk(&mut store).expect("risk rules applied");
        classlens::recommend::school::refresh(
            &mut store,
            &key,
            &classlens::recommend::ranker::Settings::default(),
        )
        .expect("suggestions made");
        db
    })
}

struct Harness {
    app: App,
    store: Store,
}

impl Harness {
    fn new(width: u16, height: u16) -> Harness {
        Harness::themed(
            width,
            height,
            Theme {
                color: true,
                ascii: false,
            },
        )
    }

    fn themed(width: u16, height: u16, theme: Theme) -> Harness {
        let store = Store::open(school_db(), Access::ReadOnly).expect("open read-only");
        // A fixed label: the temp path would change every snapshot.
        let mut app = App::new("school.duckdb".into(), theme, (width, height));
        app.model_dir = Some(common::fetched().to_path_buf());
        let mut h = Harness { app, store };
        let requests = h.app.start();
        h.answer(requests);
        h
    }

    /// Applies the actions, doing every database request they cause before the next.
    fn keys(&mut self, actions: impl IntoIterator<Item = Action>) -> &mut Self {
        for action in actions {
            let requests = self.app.update(action);
            self.answer(requests);
        }
        self
    }

    fn answer(&mut self, mut requests: Vec<(worker::Ticket, worker::Request)>) {
        while !requests.is_empty() {
            let mut next = Vec::new();
            for (ticket, request) in requests {
                let answer = worker::handle(&self.store, request);
                next.extend(self.app.update(Action::Answer(ticket, Box::new(answer))));
            }
            requests = next;
        }
    }

    fn typed(&mut self, text: &str) -> &mut Self {
        self.keys(text.chars().map(Action::Type).collect::<Vec<_>>())
    }

    fn screen(&self) -> String {
        screen_text(&self.draw())
    }

    fn draw(&self) -> TestBackend {
        let (w, h) = self.app.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        terminal
            .draw(|frame| views::render(&self.app, frame))
            .expect("draw");
        terminal.backend().clone()
    }

    fn roster_names(&self) -> Vec<String> {
        self.roster(|s| s.name.clone())
    }

    /// One value per roster row, in the roster's order.
    fn roster<T>(&self, value: impl Fn(&StudentRow) -> T) -> Vec<T> {
        let students = self.app.students.ready().expect("students loaded");
        self.app
            .roster
            .listing
            .order
            .iter()
            .map(|&i| value(&students[i as usize]))
            .collect()
    }
}

/// The screen as text, one line per row, trailing blanks trimmed.
fn screen_text(backend: &TestBackend) -> String {
    let buffer = backend.buffer();
    let width = usize::from(buffer.area.width);
    buffer
        .content()
        .chunks(width)
        .map(|row| {
            // A wide character fills two cells; the second holds no text of its own.
            let mut line = String::new();
            let mut covered = 0;
            for cell in row {
                if covered > 0 {
                    covered -= 1;
                    continue;
                }
                line.push_str(cell.symbol());
                covered = unicode_width::UnicodeWidthStr::width(cell.symbol()).saturating_sub(1);
            }
            line.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn snapshot_views(width: u16, height: u16) {
    let mut h = Harness::new(width, height);
    let size = format!("{width}x{height}");
    insta::assert_snapshot!(format!("classes_{size}"), h.screen());
    h.keys([Action::Down, Action::Open]);
    insta::assert_snapshot!(format!("class_{size}"), h.screen());
    h.keys([Action::Down, Action::Down, Action::Open]);
    insta::assert_snapshot!(format!("student_{size}"), h.screen());
    h.keys([Action::Show(ViewId::Skills), Action::Down, Action::Down]);
    insta::assert_snapshot!(format!("skills_{size}"), h.screen());
    h.keys([Action::Show(ViewId::Resources)]);
    insta::assert_snapshot!(format!("resources_{size}"), h.screen());
    h.keys([Action::Show(ViewId::Comments)]);
    insta::assert_snapshot!(format!("comments_{size}"), h.screen());
    h.keys([Action::Show(ViewId::Queries)]);
    insta::assert_snapshot!(format!("queries_{size}"), h.screen());
    h.keys([Action::Open]);
    insta::assert_snapshot!(format!("query_result_{size}"), h.screen());
    h.keys([Action::Show(ViewId::Items)]);
    insta::assert_snapshot!(format!("items_{size}"), h.screen());
    // The class open in Class is the one whose suggestions it counts.
    h.keys([Action::Show(ViewId::Suggested)]);
    insta::assert_snapshot!(format!("suggested_{size}"), h.screen());
    h.keys([Action::ToggleHelp]);
    insta::assert_snapshot!(format!("help_{size}"), h.screen());
}

#[test]
fn every_view_at_80x24() {
    snapshot_views(80, 24);
}

#[test]
fn every_view_at_160x48() {
    snapshot_views(160, 48);
}

#[test]
fn the_student_sections_one_at_a_time_on_a_narrow_screen() {
    let mut h = Harness::new(80, 24);
    h.keys([Action::Open, Action::Open]);
    assert_eq!(h.app.view, ViewId::Student);
    for section in Section::ALL {
        assert_eq!(h.app.section(), section);
        let screen = h.screen();
        if section == Section::Ability {
            insta::assert_snapshot!("student_ability_80x24", screen);
        }
        if section == Section::Suggestions {
            insta::assert_snapshot!("student_suggestions_80x24", screen);
        }
        // The focused section is the one panel drawn, under a thick border.
        assert!(
            screen.contains(&format!("┏ {} ", section.title())),
            "{section:?} not drawn:\n{screen}"
        );
        h.keys([Action::Right]);
    }
    h.keys([Action::Right, Action::Right, Action::Right]);
    insta::assert_snapshot!("student_activity_80x24", h.screen());
}

#[test]
fn too_small_a_terminal_says_so() {
    let h = Harness::new(60, 20);
    let screen = h.screen();
    assert!(screen.contains("too small"), "{screen}");
    assert!(screen.contains("60x20"), "{screen}");
    assert!(screen.contains("80x24"), "{screen}");
}

#[test]
fn ascii_mode_draws_only_ascii() {
    let theme = Theme {
        color: true,
        ascii: true,
    };
    let mut h = Harness::themed(100, 30, theme);
    let mut screens = vec![h.screen()];
    h.keys([Action::Open]);
    screens.push(h.screen());
    for view in [
        ViewId::Student,
        ViewId::Skills,
        ViewId::Resources,
        ViewId::Items,
    ] {
        h.keys([Action::Show(view)]);
        screens.push(h.screen());
    }
    h.keys([Action::Show(ViewId::Student), Action::Right]);
    screens.push(h.screen());
    for screen in &screens {
        let odd: Vec<char> = screen.chars().filter(|c| !c.is_ascii()).collect();
        assert!(odd.is_empty(), "non-ASCII {odd:?} in\n{screen}");
    }
    insta::assert_snapshot!("class_ascii_100x30", screens[1]);
}

#[test]
fn without_colour_no_cell_is_coloured() {
    let theme = Theme {
        color: false,
        ascii: false,
    };
    let mut h = Harness::themed(160, 48, theme);
    for view in ViewId::ALL {
        h.keys([Action::Show(view)]);
        let backend = h.draw();
        for cell in backend.buffer().content() {
            assert_eq!(
                cell.fg,
                Color::Reset,
                "{view:?}: coloured {:?}",
                cell.symbol()
            );
            assert_eq!(
                cell.bg,
                Color::Reset,
                "{view:?}: coloured {:?}",
                cell.symbol()
            );
        }
    }
}

#[test]
fn drill_down_and_back() {
    let mut h = Harness::new(80, 24);
    let school = h.app.school.ready().expect("school loaded");
    assert_eq!(school.classes.len(), 2);
    assert_eq!(
        school.class_list_len(),
        3,
        "two classes and the whole school"
    );

    h.keys([Action::Down, Action::Open]);
    assert_eq!(h.app.view, ViewId::Class);
    assert_eq!(h.app.roster.scope, Some(Scope::Class(1)));
    let in_class = h.roster(|s| s.class_id.clone());
    assert_eq!(in_class.len(), 20);
    assert!(in_class.iter().all(|c| c == "c02"));

    h.keys([Action::Down, Action::Down]);
    let chosen = h
        .app
        .roster_student()
        .expect("a student")
        .student_id
        .clone();
    h.keys([Action::Open]);
    assert_eq!(h.app.view, ViewId::Student);
    assert_eq!(h.app.student.student_id.as_deref(), Some(chosen.as_str()));
    let detail = h.app.student.detail.ready().expect("student detail");
    assert!(!detail.skills.is_empty());
    assert!(!detail.weeks.is_empty());
    let answered: u64 = detail.skills.iter().map(|s| s.responses).sum();
    assert_eq!(Some(answered), h.app.current_student().map(|s| s.responses));

    h.keys([Action::Back]);
    assert_eq!(h.app.view, ViewId::Class);
    assert_eq!(
        h.app.roster_student().map(|s| s.student_id.clone()),
        Some(chosen)
    );
    h.keys([Action::Back]);
    assert_eq!(h.app.view, ViewId::Classes);
    h.keys([Action::Back]);
    assert_eq!(h.app.view, ViewId::Classes, "nothing further back");
    assert!(!h.app.quit);
}

#[test]
fn the_whole_school_roster_has_everyone() {
    let mut h = Harness::new(160, 48);
    h.keys([Action::Bottom, Action::Open]);
    assert_eq!(h.app.roster.scope, Some(Scope::School));
    assert_eq!(h.app.roster.listing.order.len(), 40);
    let screen = h.screen();
    assert!(screen.contains("Whole school: 40 students"), "{screen}");
}

#[test]
fn sort_cycles_columns_and_reverses() {
    let mut h = Harness::new(80, 24);
    h.keys([Action::Open]);
    let names = h.roster_names();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "the roster starts sorted by name");

    h.keys([Action::NextSort]);
    assert_eq!(h.app.roster_column(), RosterColumn::Responses);
    let answers = h.roster(|s| s.responses);
    assert!(answers.windows(2).all(|w| w[0] <= w[1]), "{answers:?}");

    h.keys([Action::ReverseSort]);
    let answers = h.roster(|s| s.responses);
    assert!(answers.windows(2).all(|w| w[0] >= w[1]), "{answers:?}");

    // Right goes on to the next column, round to the first.
    h.keys([Action::Right, Action::Right, Action::Right, Action::Right]);
    assert_eq!(h.app.roster_column(), RosterColumn::Trend);
    h.keys([Action::Right]);
    assert_eq!(h.app.roster_column(), RosterColumn::Ability);
    h.keys([Action::Right, Action::Right, Action::Right]);
    assert_eq!(h.app.roster_column(), RosterColumn::Name);
    h.keys([Action::Left, Action::Left, Action::Left, Action::Left]);
    assert_eq!(h.app.roster_column(), RosterColumn::Trend);
    let screen = h.screen();
    assert!(
        screen.contains("Distribution: answers in the last 4 weeks"),
        "{screen}"
    );
}

#[test]
fn filter_narrows_the_roster_and_escape_restores_it() {
    let mut h = Harness::new(80, 24);
    h.keys([Action::Open]);
    let everyone = h.roster_names();
    assert_eq!(
        h.app.roster.listing.selected, 0,
        "a new roster starts at the top"
    );
    let needle = everyone[0]
        .split(' ')
        .next()
        .expect("a first name")
        .to_lowercase();

    h.keys([Action::StartFilter]);
    assert_eq!(
        h.app.input.as_ref().map(|i| i.kind),
        Some(InputKind::Filter)
    );
    h.typed(&needle);
    let matching = h.roster_names();
    assert!(!matching.is_empty() && matching.len() < everyone.len());
    assert!(matching.iter().all(|n| n.to_lowercase().contains(&needle)));
    assert!(h.screen().contains(&format!("filter: {needle}")));

    h.keys([Action::Submit]);
    assert!(h.app.input.is_none());
    assert_eq!(h.roster_names(), matching, "Enter keeps the filter");
    assert!(h.screen().contains(&format!("matching \"{needle}\"")));

    h.keys([Action::StartFilter, Action::Type('z'), Action::Type('q')]);
    assert!(h.roster_names().is_empty());
    h.keys([Action::Cancel]);
    assert_eq!(
        h.roster_names(),
        matching,
        "Esc puts back the filter from before"
    );
    h.keys([Action::StartFilter]);
    for _ in 0..needle.len() {
        h.keys([Action::Erase]);
    }
    h.keys([Action::Submit]);
    assert_eq!(h.roster_names(), everyone);
}

#[test]
fn resources_sort_and_filter() {
    let mut h = Harness::new(160, 48);
    h.keys([Action::Show(ViewId::Resources)]);
    let total = h.app.resources.data.ready().expect("resources").len();
    assert_eq!(total, 300);
    h.keys([Action::NextSort, Action::NextSort, Action::NextSort]);
    let resources = h.app.resources.data.ready().expect("resources");
    let views: Vec<u64> = h
        .app
        .resources
        .listing
        .order
        .iter()
        .map(|&i| resources[i as usize].views)
        .collect();
    assert!(views.windows(2).all(|w| w[0] >= w[1]), "most viewed first");
    h.keys([Action::StartFilter]);
    h.typed("video");
    let resources = h.app.resources.data.ready().expect("resources");
    let kinds: Vec<&str> = h
        .app
        .resources
        .listing
        .order
        .iter()
        .map(|&i| resources[i as usize].kind.as_str())
        .collect();
    assert!(!kinds.is_empty() && kinds.len() < total);
}

#[test]
fn saved_query_runs_scrolls_and_exports() {
    let mut h = Harness::new(120, 30);
    h.keys([Action::Show(ViewId::Queries)]);
    let weekly = h
        .app
        .queries
        .reports
        .iter()
        .position(|r| r.name == "weekly_activity")
        .expect("the weekly report");
    for _ in 0..weekly {
        h.keys([Action::Down]);
    }
    h.keys([Action::Open]);
    let result = h.app.queries.result.ready().expect("a result").clone();
    assert_eq!(result.rows.len(), 18, "one row per week of the term");
    assert!(h.app.queries.in_results);
    h.keys([Action::PageDown, Action::Bottom]);
    assert_eq!(h.app.queries.row, 17);
    h.keys([Action::Right]);
    assert_eq!(h.app.queries.first_column, 1);

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("weeks.csv");
    h.keys([Action::StartExport]);
    assert_eq!(
        h.app.input.as_ref().map(|i| i.text.as_str()),
        Some("weekly_activity.csv")
    );
    h.keys([Action::Cancel, Action::StartExport]);
    h.app.input.as_mut().expect("input").text.clear();
    h.typed(&file.display().to_string());
    h.keys([Action::Submit]);
    assert_eq!(
        h.app.message,
        Some(Message::Info(format!(
            "wrote 18 rows to {}",
            file.display()
        )))
    );
    let csv = std::fs::read_to_string(&file).expect("the export");
    assert_eq!(csv.lines().count(), 19);
    assert!(csv.starts_with("week,active_students,answers,"), "{csv}");

    h.keys([Action::Back]);
    assert!(!h.app.queries.in_results, "Esc leaves the results first");
    assert_eq!(h.app.view, ViewId::Queries);
}

#[test]
fn ad_hoc_sql_runs_read_only_and_errors_stay_on_screen() {
    let mut h = Harness::new(100, 30);
    h.keys([Action::StartSql]);
    assert_eq!(h.app.view, ViewId::Queries);
    h.typed("SELECT count(*) AS students FROM students");
    h.keys([Action::Submit]);
    let result = h.app.queries.result.ready().expect("a result");
    assert_eq!(result.rows, vec![vec![Some("40".to_string())]]);

    h.keys([Action::StartSql]);
    h.app.input.as_mut().expect("input").text.clear();
    h.typed("DELETE FROM students");
    h.keys([Action::Submit]);
    assert!(matches!(h.app.queries.result, Loadable::Failed(_)));
    assert!(matches!(h.app.message, Some(Message::Error(_))));
    let screen = h.screen();
    assert!(screen.contains("the query failed"), "{screen}");
    assert_eq!(
        h.store
            .query_text("SELECT count(*) FROM students", 1)
            .expect("count")
            .rows[0][0]
            .as_deref(),
        Some("40"),
        "nothing was deleted"
    );
}

#[test]
fn a_stale_answer_is_dropped() {
    let mut h = Harness::new(80, 24);
    h.keys([Action::Open]);
    let first = h.app.roster_student().expect("student").student_id.clone();
    let early = h.app.update(Action::Open);
    h.keys([Action::Back, Action::Down]);
    let second = h.app.roster_student().expect("student").student_id.clone();
    let late = h.app.update(Action::Open);
    assert_ne!(first, second);
    // The answers arrive out of order: the later request first.
    for (ticket, request) in late.into_iter().chain(early) {
        let answer = worker::handle(&h.store, request);
        h.app.update(Action::Answer(ticket, Box::new(answer)));
    }
    assert_eq!(h.app.student.student_id.as_deref(), Some(second.as_str()));
    assert!(h.app.student.detail.ready().is_some());
    assert!(!h.app.busy());
}

#[test]
fn help_opens_and_any_key_closes_it() {
    let mut h = Harness::new(80, 24);
    h.keys([Action::ToggleHelp]);
    assert!(h.app.help);
    assert!(h.screen().contains("Keys"));
    h.keys([Action::Down]);
    assert!(!h.app.help);
    assert_eq!(h.app.classes_selected, 0, "the key only closed the help");
    h.keys([Action::ToggleHelp, Action::Quit]);
    assert!(h.app.quit);
}

#[test]
fn the_roster_shows_each_students_mood_and_sorts_by_it() {
    let mut h = Harness::new(160, 48);
    h.keys([Action::Open]);
    let moods = h.roster(|s| s.mood);
    assert!(moods.iter().filter(|m| m.is_some()).count() >= moods.len() / 2);
    assert!(moods.iter().flatten().all(|m| (-1.0..=1.0).contains(m)));
    // s steps through the columns with data, Mood among them; most negative first.
    while h.app.roster_column() != RosterColumn::Sentiment {
        h.keys([Action::NextSort]);
        assert_ne!(
            h.app.roster_column(),
            RosterColumn::Name,
            "Mood is never sorted by"
        );
    }
    let sorted: Vec<f64> = h.roster(|s| s.mood).into_iter().flatten().collect();
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "{sorted:?}");
    assert!(h.screen().contains("Mood"));
}

#[test]
fn the_comments_view_filters_by_mood_and_text_and_opens_the_writer() {
    let mut h = Harness::new(160, 48);
    h.keys([Action::Show(ViewId::Comments)]);
    let feed = h
        .app
        .comments
        .data
        .ready()
        .expect("comments loaded")
        .clone();
    assert_eq!(feed.class_id, None, "no class open: the whole school");
    assert_eq!(feed.comments.len(), 226);
    assert!(
        feed.comments.windows(2).all(|w| w[0].time >= w[1].time),
        "newest first"
    );
    assert!(!feed.weeks.is_empty());
    // Right: negative only, then neutral, positive, all again.
    for label in ["negative", "neutral", "positive"] {
        h.keys([Action::Right]);
        let shown: Vec<_> = h
            .app
            .comments
            .listing
            .order
            .iter()
            .map(|&i| &feed.comments[i as usize])
            .collect();
        assert!(!shown.is_empty(), "{label}");
        assert!(shown.iter().all(|c| c.sentiment.as_deref() == Some(label)));
        assert!(h.screen().contains(&format!("{label} only")));
    }
    h.keys([Action::Right]);
    assert_eq!(h.app.comments.listing.order.len(), 226);
    // A filter matches the text, the student or the topic.
    h.keys([Action::StartFilter])
        .typed("fractions")
        .keys([Action::Submit]);
    let matching = h.app.comments.listing.order.len();
    assert!(matching > 0 && matching < 226);
    for &i in &h.app.comments.listing.order {
        let c = &feed.comments[i as usize];
        let hay = format!(
            "{} {} {}",
            c.text,
            c.student,
            c.topic.clone().unwrap_or_default()
        )
        .to_lowercase();
        assert!(hay.contains("fractions"), "{hay}");
    }
    // Enter opens the student who wrote the selected comment.
    let writer = feed.comments[h.app.comments.listing.order[0] as usize]
        .student_id
        .clone();
    h.keys([Action::Open]);
    assert_eq!(h.app.view, ViewId::Student);
    assert_eq!(h.app.student.student_id.as_deref(), Some(writer.as_str()));
}

#[test]
fn the_comments_view_finds_comments_by_meaning_within_the_open_class() {
    let mut h = Harness::new(160, 48);
    h.keys([Action::Open]);
    let class = h.app.comments_class().expect("a class is open");
    h.keys([Action::StartMeaning])
        .typed("I don't understand this at all")
        .keys([Action::Submit]);
    assert_eq!(h.app.view, ViewId::Comments);
    let feed = h
        .app
        .comments
        .data
        .ready()
        .expect("search answered")
        .clone();
    assert_eq!(
        feed.search.as_deref(),
        Some("I don't understand this at all")
    );
    assert!(!feed.comments.is_empty());
    assert!(feed.comments.iter().all(|c| c.class_id == class));
    let scores: Vec<f32> = feed.comments.iter().filter_map(|c| c.score).collect();
    assert_eq!(scores.len(), feed.comments.len());
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "closest first");
    // The closest few are mostly negative.
    let negative = feed.comments[..5]
        .iter()
        .filter(|c| c.sentiment.as_deref() == Some("negative"))
        .count();
    assert!(negative >= 3, "{:?}", &feed.comments[..5]);
    assert!(!feed.weeks.is_empty(), "the trend stays");
    insta::assert_snapshot!("comments_search_160x48", h.screen());
    // Esc: the latest comments again.
    h.keys([Action::Back]);
    let feed = h.app.comments.data.ready().expect("feed again");
    assert!(feed.search.is_none());
    assert!(feed.comments.iter().all(|c| c.class_id == class));
}

#[test]
fn the_student_view_shows_mood_and_interests_with_evidence() {
    let mut h = Harness::new(160, 48);
    h.keys([Action::Open, Action::Open]);
    let detail = h
        .app
        .student
        .detail
        .ready()
        .expect("student loaded")
        .clone();
    assert!(detail.comments.iter().any(|c| c.sentiment.is_some()));
    let screen = h.screen();
    assert!(screen.contains("Interests & mood"), "{screen}");
    assert!(screen.contains("Mood "), "{screen}");
    // The weekly mood line: one mark per week with scored comments.
    assert!(!detail.mood_weeks.is_empty());
    let line = screen
        .lines()
        .find(|l| l.contains("By week "))
        .expect("a weekly mood line");
    let marks = line
        .split("By week ")
        .nth(1)
        .and_then(|rest| rest.split("  (").next())
        .unwrap_or("");
    assert_eq!(
        marks.chars().filter(|c| "▁▂▃▄▅▆▇█".contains(*c)).count(),
        detail.mood_weeks.len(),
        "{line}"
    );
    assert!(
        detail
            .mood_weeks
            .iter()
            .all(|w| (-1.0..=1.0).contains(&w.1) && w.2 > 0)
    );
    for i in &detail.interests {
        assert!(i.comments + i.searches > 0);
    }
    // The panel has room for the strongest two (each with its latest text);
    // the rest scroll into view.
    for i in detail.interests.iter().take(2) {
        assert!(screen.contains(&i.skill), "{} missing:\n{screen}", i.skill);
    }
}

#[test]
fn the_roster_sorts_by_ability_and_by_risk() {
    let mut h = Harness::new(160, 48);
    h.keys([Action::Open]);
    let abilities = h.roster(|s| s.ability);
    assert!(abilities.iter().all(|a| a.is_some_and(f64::is_finite)));
    assert!(h.roster(|s| s.risk).iter().all(Option::is_some));
    while h.app.roster_column() != RosterColumn::Ability {
        h.keys([Action::NextSort]);
    }
    // Weakest first.
    let sorted: Vec<f64> = h.roster(|s| s.ability).into_iter().flatten().collect();
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "{sorted:?}");
    assert!(
        h.screen()
            .contains("Distribution: mean ability over skills")
    );
    while h.app.roster_column() != RosterColumn::AtRisk {
        h.keys([Action::NextSort]);
    }
    // Most rules fired first.
    let risks: Vec<u32> = h.roster(|s| s.risk).into_iter().flatten().collect();
    assert!(risks.windows(2).all(|w| w[0] >= w[1]), "{risks:?}");
}

#[test]
fn the_student_view_shows_abilities_with_intervals_trends_and_reasons() {
    let mut h = Harness::new(160, 48);
    h.keys([Action::Open, Action::Open]);
    let detail = h
        .app
        .student
        .detail
        .ready()
        .expect("student loaded")
        .clone();
    assert!(!detail.abilities.is_empty());
    assert_eq!(detail.explanations.len(), detail.abilities.len());
    let screen = h.screen();
    assert!(screen.contains("Ability, and why"), "{screen}");
    // One interval bar per skill shown, with its estimate beside it.
    let first = &detail.abilities[0];
    let bar_line = screen
        .lines()
        .find(|l| l.contains(&format!("{:+.1} ± {:.1}", first.theta, first.sd)))
        .unwrap_or_else(|| panic!("no line for {first:?}:\n{screen}"));
    assert_eq!(bar_line.matches('●').count(), 1, "{bar_line}");
    // Each skill's explanation follows its bar, without repeating it.
    let summary = &detail.explanations[0].summary;
    let reasons = summary
        .split_once(", ")
        .map(|(_, rest)| rest)
        .unwrap_or(summary);
    assert!(screen.contains(&reasons[..30]), "{screen}");
    // The weekly line has a mark per week the student answered in the skill.
    let weeks = detail
        .mastery
        .iter()
        .filter(|(s, _)| *s == first.skill_id)
        .count();
    assert!(weeks > 0);
    let marks = bar_line.chars().filter(|c| "▁▂▃▄▅▆▇█".contains(*c)).count();
    assert_eq!(marks, weeks, "{bar_line}");
}

#[test]
fn the_item_analysis_puts_flagged_items_first_and_sorts_and_filters() {
    let mut h = Harness::new(160, 48);
    h.keys([Action::Show(ViewId::Items)]);
    let items = h.app.items.data.ready().expect("items loaded").clone();
    assert_eq!(
        items.len() as i64,
        common::query_i64(school_db(), "SELECT count(*) FROM item_estimates")
    );
    let shown = |h: &Harness| -> Vec<classlens::store::ability::ItemAnalysis> {
        h.app
            .items
            .listing
            .order
            .iter()
            .map(|&i| items[i as usize].clone())
            .collect()
    };
    // Flagged first, each flag spelled out on screen.
    let order = shown(&h);
    let flagged = order.iter().take_while(|i| !i.flags.is_empty()).count();
    assert!(flagged > 0);
    assert!(order[flagged..].iter().all(|i| i.flags.is_empty()));
    assert!(h.screen().contains(&format!("{flagged} flagged")));
    // Hardest first when sorted by difficulty.
    while h.app.item_column() != classlens::tui::data::ItemColumn::Difficulty {
        h.keys([Action::NextSort]);
    }
    let b: Vec<f64> = shown(&h).iter().map(|i| i.difficulty).collect();
    assert!(b.windows(2).all(|w| w[0] >= w[1]), "{b:?}");
    // The filter reads ids, skills and flags.
    h.keys([Action::StartFilter])
        .typed("fractions")
        .keys([Action::Submit]);
    let left = shown(&h);
    assert!(!left.is_empty() && left.iter().all(|i| i.skill == "Fractions"));
}

/// The student's suggestions with their reasons and path; `p` on one pins
/// it: the worker writes it (reopening the file for writing) and the list
/// comes back with it first; `d` hides another, and read-only refuses both.
#[test]
fn suggestions_show_reasons_and_a_pin_from_the_dashboard_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.duckdb");
    std::fs::copy(school_db(), &db).unwrap();
    let theme = Theme {
        color: true,
        ascii: false,
    };
    let mut app = App::new("school.duckdb".into(), theme, (160, 48));
    let mut store = Some(Store::open_read_only(&db, false).unwrap());
    fn drive(
        app: &mut App,
        store: &mut Option<Store>,
        mut requests: classlens::tui::app::Requests,
    ) {
        while !requests.is_empty() {
            let mut next = Vec::new();
            for (ticket, request) in requests {
                let answer = worker::handle_mut(store, request);
                next.extend(app.update(Action::Answer(ticket, Box::new(answer))));
            }
            requests = next;
        }
    }
    let run = |app: &mut App, store: &mut Option<Store>, actions: Vec<Action>| {
        for action in actions {
            let requests = app.update(action);
            drive(app, store, requests);
        }
    };
    let requests = app.start();
    drive(&mut app, &mut store, requests);
    run(&mut app, &mut store, vec![Action::Open, Action::Open]);
    let suggestions = app.student.detail.ready().unwrap().suggestions.clone();
    assert_eq!(suggestions.len(), 10);
    assert!(suggestions.iter().all(|s| !s.reasons.is_empty()));
    while app.section() != Section::Suggestions {
        run(&mut app, &mut store, vec![Action::Right]);
    }
    // Pin the third: it comes back first, marked.
    run(
        &mut app,
        &mut store,
        vec![
            Action::Down,
            Action::Down,
            Action::Override(Some(Action2::Pin)),
        ],
    );
    let detail = app.student.detail.ready().unwrap();
    assert_eq!(
        detail.suggestions[0].resource_id,
        suggestions[2].resource_id
    );
    assert!(detail.suggestions[0].pinned);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    terminal.draw(|frame| views::render(&app, frame)).unwrap();
    let screen = screen_text(terminal.backend());
    assert!(screen.contains("[pinned]"), "{screen}");
    // Hide the one now second: gone.
    let second = detail.suggestions[1].resource_id.clone();
    run(
        &mut app,
        &mut store,
        vec![
            Action::Top,
            Action::Down,
            Action::Override(Some(Action2::Hide)),
        ],
    );
    let detail = app.student.detail.ready().unwrap();
    assert!(!detail.suggestions.iter().any(|s| s.resource_id == second));
    // Read-only: refused, nothing sent.
    app.writable = false;
    assert!(app.update(Action::Override(None)).is_empty());
    assert!(matches!(app.message, Some(Message::Error(_))));
}

#[test]
fn r_writes_the_open_classs_report_and_capital_r_a_pseudonymized_one() {
    let mut h = Harness::new(120, 30);
    h.keys([Action::Show(ViewId::Skills), Action::StartReport(false)]);
    assert!(h.app.input.is_none(), "no class to report from the skills");
    assert!(matches!(&h.app.message, Some(Message::Info(m)) if m.contains("pick a class")));

    let class = h.app.school.ready().expect("school").classes[0].clone();
    h.keys([Action::Show(ViewId::Classes), Action::Open]);
    assert_eq!(h.app.view, ViewId::Class);
    h.keys([Action::StartReport(false)]);
    let input = h.app.input.as_ref().expect("the folder prompt");
    assert_eq!(input.kind, InputKind::ReportDir);
    assert!(
        input.text.ends_with(&format!("reports/{}", class.class_id)),
        "{}",
        input.text
    );
    assert!(h.screen().contains("write the report to: "));

    let dir = tempfile::tempdir().expect("temp dir");
    let named = dir.path().join("named");
    h.app.input.as_mut().expect("input").text.clear();
    h.typed(&named.display().to_string());
    h.keys([Action::Submit]);
    let page = named.join(format!("{}.html", class.class_id));
    assert!(
        matches!(&h.app.message, Some(Message::Info(m)) if m.starts_with(&format!("wrote {}", page.display()))),
        "{:?}",
        h.app.message
    );
    let html = std::fs::read_to_string(&page).expect("the report");
    assert!(html.contains(&class.name));
    let names: Vec<String> = h
        .store
        .student_activity()
        .expect("students")
        .into_iter()
        .filter(|s| s.class_id == class.class_id)
        .map(|s| s.display_name)
        .collect();
    assert!(
        names.iter().all(|n| html.contains(n)),
        "the teacher's own report names them"
    );

    // From the class list, pseudonymized: no name of the class's students in it.
    h.keys([Action::Show(ViewId::Classes), Action::StartReport(true)]);
    assert!(h.screen().contains("write the pseudonymized report to: "));
    let hidden = dir.path().join("hidden");
    h.app.input.as_mut().expect("input").text.clear();
    h.typed(&hidden.display().to_string());
    h.keys([Action::Submit]);
    let html = std::fs::read_to_string(hidden.join(format!("{}.html", class.class_id)))
        .expect("the pseudonymized report");
    assert!(!names.is_empty());
    for name in names {
        assert!(!html.contains(&name), "{name} in a pseudonymized report");
    }
}

/// The fixture school and a few comments in Chinese, newest of all; not
/// analysed, since what is tested is how they are drawn.
fn chinese_db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        let db = dir.join("school.duckdb");
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dashboard-school");
        let extra = dir.join("zh");
        std::fs::create_dir(&extra).expect("folder");
        common::write(
            &extra,
            "comments.csv",
            "comment_id,student_id,resource_id,time,text\n\
             zh001,s000001,,2026-06-20T10:00:00,这个视频把分数讲得很清楚，我终于明白了通分的步骤。\n\
             zh002,s000001,,2026-06-20T11:00:00,太难了，比例那一部分我完全看不懂，希望老师再讲一遍。\n\
             zh003,s000001,,2026-06-20T12:00:00,Mixed 中文 and English: 分数 fractions 好难 but OK\n",
        );
        let mut store = Store::open(&db, Access::ReadWrite).expect("create db");
        store
            .ingest(&[fixture], &IngestOptions::default(), &mut |_| {})
            .expect("the dashboard fixture ingests");
        store
            .ingest(&[extra], &IngestOptions::default(), &mut |_| {})
            .expect("the Chinese comments ingest");
        db
    })
}

#[test]
fn chinese_comments_line_up_at_80x24() {
    let store = Store::open(chinese_db(), Access::ReadOnly).expect("open read-only");
    let theme = Theme {
        color: true,
        ascii: false,
    };
    let mut h = Harness {
        app: App::new("school.duckdb".into(), theme, (80, 24)),
        store,
    };
    let requests = h.app.start();
    h.answer(requests);
    h.keys([Action::Show(ViewId::Comments)]);
    let screen = h.screen();
    insta::assert_snapshot!("comments_chinese_80x24", screen);
    assert!(screen.contains("这个视频"), "{screen}");
    // Every framed row ends on the frame, whatever the width of what it holds.
    let backend = h.draw();
    let buffer = backend.buffer();
    for y in 1..22 {
        let last = buffer.cell((79, y)).expect("cell").symbol();
        assert!(
            last == "│" || last == "┐" || last == "┘" || last == "┤",
            "row {y}: {last:?}\n{screen}"
        );
    }
}

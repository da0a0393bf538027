//! The dashboard's state and the one place it changes: `App::update`.
//! Views draw from `&App`; keys become `Action`s (keys.rs); the database is
//! read by the worker, whose answers come back as actions too.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::store::ability::ItemAnalysis;
use crate::store::dashboard::{CommentFeed, ResourceUse, StudentDetail};
use crate::store::recommend::SuggestedResource;
use crate::store::reports::{self, QueryResult, Report};

use super::data::{
    ItemColumn, Listing, ResourceColumn, RosterColumn, School, Scope, SkillsData, StudentRow,
    sort_key,
};
use super::theme::Theme;
use super::worker::{Answer, Request, Ticket};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewId {
    Classes,
    Class,
    Student,
    Skills,
    Resources,
    Comments,
    Queries,
    Items,
    Suggested,
}

impl ViewId {
    pub const ALL: [ViewId; 9] = [
        ViewId::Classes,
        ViewId::Class,
        ViewId::Student,
        ViewId::Skills,
        ViewId::Resources,
        ViewId::Comments,
        ViewId::Queries,
        ViewId::Items,
        ViewId::Suggested,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ViewId::Classes => "Classes",
            ViewId::Class => "Class",
            ViewId::Student => "Student",
            ViewId::Skills => "Skills",
            ViewId::Resources => "Resources",
            ViewId::Comments => "Comments",
            ViewId::Queries => "Queries",
            ViewId::Items => "Items",
            ViewId::Suggested => "Suggested",
        }
    }

    fn position(self) -> usize {
        ViewId::ALL.iter().position(|&v| v == self).unwrap_or(0)
    }
}

/// Everything that can happen to the dashboard.
#[derive(Debug)]
pub enum Action {
    Quit,
    ToggleHelp,
    Show(ViewId),
    NextView,
    PrevView,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Left,
    Right,
    Open,
    NextSort,
    ReverseSort,
    StartFilter,
    StartMeaning,
    StartSql,
    StartExport,
    /// Write the open class's report (or the school's); true: pseudonymized.
    StartReport(bool),
    /// Pin, hide or (None) clear the selected suggestion for the student.
    Override(Option<crate::store::recommend::Action>),
    Type(char),
    Erase,
    Submit,
    Cancel,
    Resize(u16, u16),
    Tick,
    Answer(Ticket, Box<Answer>),
}

impl Action {
    /// Actions that a person made, as opposed to the clock or the worker.
    fn is_from_keyboard(&self) -> bool {
        !matches!(self, Action::Tick | Action::Answer(..) | Action::Resize(..))
    }
}

/// Data that arrives from the worker.
#[derive(Debug, Clone, Default)]
pub enum Loadable<T> {
    #[default]
    NotAsked,
    Loading,
    Ready(T),
    Failed(String),
}

impl<T> Loadable<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loadable::Ready(t) => Some(t),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    /// A search of the comments by meaning.
    Meaning,
    Sql,
    ExportPath,
    /// The folder for a report of [`App::report_target`].
    ReportDir,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
    /// The filter before typing began, restored by Esc.
    before: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Info(String),
    Error(String),
}

/// The panels of the student view, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Skills,
    Ability,
    Suggestions,
    Activity,
    Comments,
    Searches,
    Paths,
    Resources,
    Insights,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Skills,
        Section::Ability,
        Section::Suggestions,
        Section::Activity,
        Section::Comments,
        Section::Searches,
        Section::Paths,
        Section::Resources,
        Section::Insights,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Skills => "Skills",
            Section::Ability => "Ability, and why",
            Section::Suggestions => "Suggested next, and why",
            Section::Activity => "Activity",
            Section::Comments => "Comments",
            Section::Searches => "Searches",
            Section::Paths => "Browsing paths",
            Section::Resources => "Resources viewed",
            Section::Insights => "Interests & mood",
        }
    }

    /// For the section bar of a narrow screen.
    pub fn short_title(self) -> &'static str {
        match self {
            Section::Paths => "Paths",
            Section::Resources => "Viewed",
            Section::Ability => "Ability",
            Section::Suggestions => "Next",
            Section::Insights => "Interests",
            other => other.title(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Job {
    School,
    Students,
    Student,
    Skills,
    Resources,
    Comments,
    Items,
    Suggested,
    Query,
    Export,
    Report,
}

#[derive(Debug, Default)]
pub struct Roster {
    pub scope: Option<Scope>,
    pub listing: Listing,
}

#[derive(Debug, Default)]
pub struct StudentPane {
    pub student_id: Option<String>,
    pub detail: Loadable<StudentDetail>,
    pub section: usize,
    pub scroll: usize,
}

#[derive(Debug, Default)]
pub struct SkillsPane {
    pub data: Loadable<SkillsData>,
    pub selected: usize,
    /// First class column shown, for schools wider than the screen.
    pub first_class: usize,
}

#[derive(Debug, Default)]
pub struct ResourcesPane {
    pub data: Loadable<Vec<ResourceUse>>,
    pub listing: Listing,
}

/// Which resources are suggested most, to the class open in Class or to everyone.
#[derive(Debug, Default)]
pub struct SuggestedPane {
    pub data: Loadable<(Option<String>, Vec<SuggestedResource>)>,
    pub selected: usize,
}

#[derive(Debug, Default)]
pub struct ItemsPane {
    pub data: Loadable<Vec<ItemAnalysis>>,
    pub listing: Listing,
}

/// Which sentiment the Comments view shows: all, or one label.
pub const SENTIMENT_FILTERS: [Option<&str>; 4] =
    [None, Some("negative"), Some("neutral"), Some("positive")];

#[derive(Debug, Default)]
pub struct CommentsPane {
    pub data: Loadable<CommentFeed>,
    pub listing: Listing,
    /// Index into SENTIMENT_FILTERS.
    pub sentiment: usize,
}

impl CommentsPane {
    pub fn sentiment_filter(&self) -> Option<&'static str> {
        SENTIMENT_FILTERS[self.sentiment % SENTIMENT_FILTERS.len()]
    }
}

#[derive(Debug)]
pub struct QueriesPane {
    pub reports: Vec<Report>,
    pub selected: usize,
    /// The keyboard is on the result table rather than the list.
    pub in_results: bool,
    pub title: String,
    pub sql: Option<String>,
    pub result: Loadable<Arc<QueryResult>>,
    pub row: usize,
    pub first_column: usize,
}

pub struct App {
    pub theme: Theme,
    pub db_path: PathBuf,
    pub view: ViewId,
    history: Vec<ViewId>,
    pub size: (u16, u16),
    pub school: Loadable<School>,
    pub students: Loadable<Vec<StudentRow>>,
    pub classes_selected: usize,
    pub roster: Roster,
    pub student: StudentPane,
    pub skills: SkillsPane,
    pub resources: ResourcesPane,
    pub items: ItemsPane,
    pub suggested: SuggestedPane,
    pub comments: CommentsPane,
    pub queries: QueriesPane,
    /// The encoder's folder for searches by meaning (None: the installed default).
    pub model_dir: Option<PathBuf>,
    /// The multilingual encoder's folder (None: the installed default).
    pub multilingual_dir: Option<PathBuf>,
    pub input: Option<Input>,
    pub message: Option<Message>,
    pub help: bool,
    /// Whether the teacher may change anything (pins and hides); false with --read-only.
    pub writable: bool,
    /// The report the folder prompt is for: (class, None for the school; pseudonymized).
    pub report_target: Option<(Option<String>, bool)>,
    pub quit: bool,
    pub tick: u64,
    next_ticket: u64,
    latest: HashMap<Job, Ticket>,
}

pub type Requests = Vec<(Ticket, Request)>;

/// The title of a query typed on the SQL line.
const AD_HOC: &str = "ad hoc";

/// Views remember this many steps back.
const HISTORY: usize = 64;

impl App {
    pub fn new(db_path: PathBuf, theme: Theme, size: (u16, u16)) -> App {
        App {
            theme,
            db_path,
            view: ViewId::Classes,
            history: Vec::new(),
            size,
            school: Loadable::NotAsked,
            students: Loadable::NotAsked,
            classes_selected: 0,
            roster: Roster::default(),
            student: StudentPane::default(),
            skills: SkillsPane::default(),
            resources: ResourcesPane::default(),
            items: ItemsPane::default(),
            suggested: SuggestedPane::default(),
            comments: CommentsPane::default(),
            model_dir: std::env::var_os("CLASSLENS_MODEL_DIR").map(PathBuf::from),
            multilingual_dir: std::env::var_os("CLASSLENS_MULTILINGUAL_DIR").map(PathBuf::from),
            queries: QueriesPane {
                reports: reports::reports(),
                selected: 0,
                in_results: false,
                title: String::new(),
                sql: None,
                result: Loadable::NotAsked,
                row: 0,
                first_column: 0,
            },
            input: None,
            message: None,
            help: false,
            writable: true,
            report_target: None,
            quit: false,
            tick: 0,
            next_ticket: 0,
            latest: HashMap::new(),
        }
    }

    /// The first requests: the class list, which the first frame shows.
    pub fn start(&mut self) -> Requests {
        self.school = Loadable::Loading;
        vec![self.ask(Job::School, Request::School)]
    }

    /// Requests that the worker has not answered yet.
    pub fn busy(&self) -> bool {
        !self.latest.is_empty()
    }

    /// Rows a page holds: the screen less the tab bar, status line, borders and header.
    pub fn page(&self) -> usize {
        usize::from(self.size.1).saturating_sub(8).max(1)
    }

    pub fn section(&self) -> Section {
        Section::ALL[self.student.section.min(Section::ALL.len() - 1)]
    }

    pub fn roster_column(&self) -> RosterColumn {
        RosterColumn::ALL[self.roster.listing.sort.min(RosterColumn::ALL.len() - 1)]
    }

    pub fn resource_column(&self) -> ResourceColumn {
        ResourceColumn::ALL[self
            .resources
            .listing
            .sort
            .min(ResourceColumn::ALL.len() - 1)]
    }

    pub fn item_column(&self) -> ItemColumn {
        ItemColumn::ALL[self.items.listing.sort.min(ItemColumn::ALL.len() - 1)]
    }

    /// The student the roster's cursor is on.
    pub fn roster_student(&self) -> Option<&StudentRow> {
        let students = self.students.ready()?;
        students.get(self.roster.listing.selected_index()?)
    }

    pub fn current_student(&self) -> Option<&StudentRow> {
        let id = self.student.student_id.as_deref()?;
        let students = self.students.ready()?;
        students.iter().find(|s| s.student_id == id)
    }

    fn ask(&mut self, job: Job, request: Request) -> (Ticket, Request) {
        self.next_ticket += 1;
        let ticket = Ticket(self.next_ticket);
        self.latest.insert(job, ticket);
        (ticket, request)
    }

    /// Pins, hides or clears the suggestion under the cursor of the student's
    /// "Suggested next" section; the worker stores it and recomputes their list.
    fn override_selected(&mut self, action: Option<crate::store::recommend::Action>) -> Requests {
        if self.view != ViewId::Student || self.section() != Section::Suggestions {
            return Vec::new();
        }
        if !self.writable {
            self.message = Some(Message::Error(
                "read-only: pins and hides need the dashboard without --read-only".into(),
            ));
            return Vec::new();
        }
        let (Some(student_id), Some(detail)) =
            (self.student.student_id.clone(), self.student.detail.ready())
        else {
            return Vec::new();
        };
        let Some(s) = detail.suggestions.get(self.student.scroll) else {
            self.message = Some(Message::Info(
                "select a suggestion (Up/Down) to pin or hide it".into(),
            ));
            return Vec::new();
        };
        let resource_id = s.resource_id.clone();
        self.message = Some(Message::Info(format!(
            "{} {} for {student_id}…",
            match action {
                Some(crate::store::recommend::Action::Pin) => "pinning",
                Some(crate::store::recommend::Action::Hide) => "hiding",
                None => "clearing",
            },
            s.title
        )));
        vec![self.ask(
            Job::Student,
            Request::Override {
                student_id,
                resource_id,
                action,
            },
        )]
    }

    /// Takes the answer if it is the latest of its kind; a stale one is dropped.
    fn accept(&mut self, job: Job, ticket: Ticket) -> bool {
        if self.latest.get(&job) == Some(&ticket) {
            self.latest.remove(&job);
            true
        } else {
            false
        }
    }

    pub fn update(&mut self, action: Action) -> Requests {
        if action.is_from_keyboard() {
            self.message = None;
        }
        if self.help && action.is_from_keyboard() && !matches!(action, Action::Quit) {
            self.help = false;
            return Vec::new();
        }
        match action {
            Action::Quit => {
                self.quit = true;
                Vec::new()
            }
            Action::ToggleHelp => {
                self.help = !self.help;
                Vec::new()
            }
            Action::Show(view) => self.show(view, true),
            Action::NextView => {
                let next = ViewId::ALL[(self.view.position() + 1) % ViewId::ALL.len()];
                self.show(next, true)
            }
            Action::PrevView => {
                let n = ViewId::ALL.len();
                let prev = ViewId::ALL[(self.view.position() + n - 1) % n];
                self.show(prev, true)
            }
            Action::Back => self.back(),
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(self.page() as isize)),
            Action::PageDown => self.move_by(self.page() as isize),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::Left => self.sideways(-1),
            Action::Right => self.sideways(1),
            Action::Open => self.open(),
            Action::NextSort => {
                self.next_sort(1);
                Vec::new()
            }
            Action::ReverseSort => {
                self.reverse_sort();
                Vec::new()
            }
            Action::StartFilter => {
                self.start_filter();
                Vec::new()
            }
            Action::StartMeaning => {
                let requests = self.show(ViewId::Comments, true);
                let text = self
                    .comments
                    .data
                    .ready()
                    .and_then(|d| d.search.clone())
                    .unwrap_or_default();
                self.input = Some(Input {
                    kind: InputKind::Meaning,
                    text,
                    before: String::new(),
                });
                requests
            }
            Action::StartSql => {
                let requests = self.show(ViewId::Queries, true);
                // The last SELECT typed comes back for editing; a saved one would be pages long.
                let text = match &self.queries.sql {
                    Some(sql) if self.queries.title == AD_HOC => sql.clone(),
                    _ => String::new(),
                };
                self.input = Some(Input {
                    kind: InputKind::Sql,
                    text,
                    before: String::new(),
                });
                requests
            }
            Action::StartExport => {
                self.start_export();
                Vec::new()
            }
            Action::StartReport(pseudonymize) => {
                self.start_report(pseudonymize);
                Vec::new()
            }
            Action::Override(action) => self.override_selected(action),
            Action::Type(c) => self.edit(|text| text.push(c)),
            Action::Erase => self.edit(|text| {
                text.pop();
            }),
            Action::Submit => self.submit(),
            Action::Cancel => {
                if let Some(input) = self.input.take()
                    && input.kind == InputKind::Filter
                {
                    self.set_filter(input.before);
                }
                Vec::new()
            }
            Action::Resize(w, h) => {
                self.size = (w, h);
                Vec::new()
            }
            Action::Tick => {
                self.tick = self.tick.wrapping_add(1);
                Vec::new()
            }
            Action::Answer(ticket, answer) => self.take_answer(ticket, *answer),
        }
    }

    fn show(&mut self, view: ViewId, remember: bool) -> Requests {
        if view == self.view {
            return Vec::new();
        }
        if remember {
            self.history.push(self.view);
            if self.history.len() > HISTORY {
                self.history.remove(0);
            }
        }
        self.view = view;
        self.input = None;
        let mut requests = Vec::new();
        match view {
            ViewId::Class if self.roster.scope.is_none() => {
                requests.extend(self.open_class(self.classes_selected));
            }
            ViewId::Student if self.student.student_id.is_none() => {
                if let Some(id) = self.roster_student().map(|s| s.student_id.clone()) {
                    requests.extend(self.open_student(id));
                }
            }
            ViewId::Skills if matches!(self.skills.data, Loadable::NotAsked) => {
                self.skills.data = Loadable::Loading;
                requests.push(self.ask(Job::Skills, Request::Skills));
            }
            ViewId::Resources if matches!(self.resources.data, Loadable::NotAsked) => {
                self.resources.data = Loadable::Loading;
                requests.push(self.ask(Job::Resources, Request::Resources));
            }
            ViewId::Items if matches!(self.items.data, Loadable::NotAsked) => {
                self.items.data = Loadable::Loading;
                requests.push(self.ask(Job::Items, Request::Items));
            }
            ViewId::Suggested => {
                let class = self.comments_class();
                let current = match &self.suggested.data {
                    Loadable::Ready((c, _)) => *c == class,
                    Loadable::Loading => true,
                    _ => false,
                };
                if !current {
                    self.suggested.data = Loadable::Loading;
                    self.suggested.selected = 0;
                    requests.push(self.ask(Job::Suggested, Request::Suggested(class)));
                }
            }
            ViewId::Comments => {
                let class = self.comments_class();
                let current = match &self.comments.data {
                    Loadable::Ready(d) => d.class_id == class,
                    Loadable::Loading => true,
                    _ => false,
                };
                if !current {
                    requests.extend(self.load_comments());
                }
            }
            _ => {}
        }
        requests
    }

    /// The class the Comments view is about: the one open in Class, or the school.
    pub fn comments_class(&self) -> Option<String> {
        match self.roster.scope {
            Some(Scope::Class(i)) => self
                .school
                .ready()
                .and_then(|s| s.classes.get(i))
                .map(|c| c.class_id.clone()),
            _ => None,
        }
    }

    fn load_comments(&mut self) -> Requests {
        let class_id = self.comments_class();
        self.comments.data = Loadable::Loading;
        vec![self.ask(Job::Comments, Request::Comments(class_id))]
    }

    fn back(&mut self) -> Requests {
        if self.view == ViewId::Queries && self.queries.in_results {
            self.queries.in_results = false;
            return Vec::new();
        }
        // Out of a search's results: the latest comments again.
        if self.view == ViewId::Comments
            && self
                .comments
                .data
                .ready()
                .is_some_and(|d| d.search.is_some())
        {
            return self.load_comments();
        }
        if let Some(view) = self.history.pop() {
            return self.show(view, false);
        }
        Vec::new()
    }

    fn open(&mut self) -> Requests {
        match self.view {
            ViewId::Classes => {
                let requests = self.open_class(self.classes_selected);
                requests
                    .into_iter()
                    .chain(self.show(ViewId::Class, true))
                    .collect()
            }
            ViewId::Class => match self.roster_student().map(|s| s.student_id.clone()) {
                Some(id) => {
                    let requests = self.open_student(id);
                    requests
                        .into_iter()
                        .chain(self.show(ViewId::Student, true))
                        .collect()
                }
                None => Vec::new(),
            },
            ViewId::Comments => {
                let id = self.comments.listing.selected_index().and_then(|i| {
                    self.comments
                        .data
                        .ready()
                        .and_then(|d| d.comments.get(i))
                        .map(|c| c.student_id.clone())
                });
                match id {
                    Some(id) => {
                        let requests = self.open_student(id);
                        requests
                            .into_iter()
                            .chain(self.show(ViewId::Student, true))
                            .collect()
                    }
                    None => Vec::new(),
                }
            }
            ViewId::Queries if !self.queries.in_results => {
                match self.queries.reports.get(self.queries.selected).copied() {
                    Some(report) => self.run_query(report.name.to_string(), report.sql.to_string()),
                    None => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// Points the roster at a class (or, past the last class, the whole school).
    fn open_class(&mut self, index: usize) -> Requests {
        let Some(school) = self.school.ready() else {
            return Vec::new();
        };
        let scope = if index < school.classes.len() {
            Scope::Class(index)
        } else if school.total.is_some() {
            Scope::School
        } else {
            return Vec::new();
        };
        if self.roster.scope != Some(scope) {
            self.roster.scope = Some(scope);
            self.roster.listing.filter.clear();
            // Another class: nothing of the last one stays selected.
            self.roster.listing.order.clear();
            self.rebuild_roster();
        }
        Vec::new()
    }

    fn open_student(&mut self, student_id: String) -> Requests {
        if self.student.student_id.as_deref() == Some(student_id.as_str())
            && !matches!(self.student.detail, Loadable::Failed(_))
        {
            return Vec::new();
        }
        self.student.student_id = Some(student_id.clone());
        self.student.detail = Loadable::Loading;
        self.student.scroll = 0;
        vec![self.ask(Job::Student, Request::Student(student_id))]
    }

    fn run_query(&mut self, title: String, sql: String) -> Requests {
        self.queries.title = title.clone();
        self.queries.sql = Some(sql.clone());
        self.queries.result = Loadable::Loading;
        self.queries.row = 0;
        self.queries.first_column = 0;
        vec![self.ask(Job::Query, Request::Query { title, sql })]
    }

    fn move_by(&mut self, delta: isize) -> Requests {
        let step =
            |at: usize, len: usize| at.saturating_add_signed(delta).min(len.saturating_sub(1));
        match self.view {
            ViewId::Classes => {
                let len = self.school.ready().map_or(0, School::class_list_len);
                self.classes_selected = step(self.classes_selected, len);
            }
            ViewId::Class => self.roster.listing.move_by(delta),
            ViewId::Student => {
                self.student.scroll = step(self.student.scroll, self.section_len());
            }
            ViewId::Skills => {
                let len = self.skills.data.ready().map_or(0, |d| d.skills.len());
                self.skills.selected = step(self.skills.selected, len);
            }
            ViewId::Resources => self.resources.listing.move_by(delta),
            ViewId::Items => self.items.listing.move_by(delta),
            ViewId::Suggested => {
                let len = self.suggested.data.ready().map_or(0, |d| d.1.len());
                self.suggested.selected = step(self.suggested.selected, len);
            }
            ViewId::Comments => self.comments.listing.move_by(delta),
            ViewId::Queries => {
                if self.queries.in_results {
                    let len = self.queries.result.ready().map_or(0, |r| r.rows.len());
                    self.queries.row = step(self.queries.row, len);
                } else {
                    self.queries.selected = step(self.queries.selected, self.queries.reports.len());
                }
            }
        }
        Vec::new()
    }

    /// Rows in the student section that has the keyboard, for scrolling.
    fn section_len(&self) -> usize {
        let Some(d) = self.student.detail.ready() else {
            return 0;
        };
        match self.section() {
            Section::Skills => d.skills.len(),
            // The flags, the legend, then two lines per skill (estimate, explanation).
            Section::Ability => d.risk.len() + 2 + 2 * d.abilities.len(),
            // One stop per suggestion, then per step of the path.
            Section::Suggestions => d.suggestions.len() + d.learning_path.len(),
            Section::Activity => d.weeks.len(),
            Section::Comments => d.comments.len(),
            Section::Searches => d.searches.len(),
            Section::Paths => d.paths.len(),
            Section::Resources => d.resources.len(),
            // The mood line, then one line per interest.
            Section::Insights => 1 + d.interests.len(),
        }
    }

    fn sideways(&mut self, delta: isize) -> Requests {
        match self.view {
            ViewId::Class | ViewId::Resources | ViewId::Items => self.next_sort(delta),
            ViewId::Student => {
                let n = Section::ALL.len() as isize;
                self.student.section =
                    (self.student.section as isize + delta).rem_euclid(n) as usize;
                self.student.scroll = 0;
            }
            ViewId::Skills => {
                let len = self.skills.data.ready().map_or(0, |d| d.classes.len());
                self.skills.first_class = self
                    .skills
                    .first_class
                    .saturating_add_signed(delta)
                    .min(len.saturating_sub(1));
            }
            ViewId::Comments => {
                let n = SENTIMENT_FILTERS.len() as isize;
                self.comments.sentiment =
                    (self.comments.sentiment as isize + delta).rem_euclid(n) as usize;
                self.rebuild_comments();
            }
            ViewId::Queries if self.queries.in_results => {
                let len = self.queries.result.ready().map_or(0, |r| r.columns.len());
                self.queries.first_column = self
                    .queries
                    .first_column
                    .saturating_add_signed(delta)
                    .min(len.saturating_sub(1));
            }
            _ => {}
        }
        Vec::new()
    }

    /// Sorts by the next (or previous) column; the distribution chart follows
    /// the sort column.
    fn next_sort(&mut self, step: isize) {
        match self.view {
            ViewId::Class => {
                let n = RosterColumn::ALL.len() as isize;
                let at = (self.roster.listing.sort as isize + step).rem_euclid(n);
                self.roster.listing.sort = at as usize;
                self.roster.listing.descending = self.roster_column().descending_first();
                self.resort_roster();
            }
            ViewId::Resources => {
                let n = ResourceColumn::ALL.len() as isize;
                self.resources.listing.sort =
                    (self.resources.listing.sort as isize + step).rem_euclid(n) as usize;
                self.resources.listing.descending = self.resource_column().descending_first();
                self.resort_resources();
            }
            ViewId::Items => {
                let n = ItemColumn::ALL.len() as isize;
                self.items.listing.sort =
                    (self.items.listing.sort as isize + step).rem_euclid(n) as usize;
                self.items.listing.descending = self.item_column().descending_first();
                let keep = self.items.listing.selected_index();
                self.sort_items(keep);
            }
            _ => {}
        }
    }

    fn reverse_sort(&mut self) {
        match self.view {
            ViewId::Class => {
                self.roster.listing.descending = !self.roster.listing.descending;
                self.resort_roster();
            }
            ViewId::Resources => {
                self.resources.listing.descending = !self.resources.listing.descending;
                self.resort_resources();
            }
            ViewId::Items => {
                self.items.listing.descending = !self.items.listing.descending;
                let keep = self.items.listing.selected_index();
                self.sort_items(keep);
            }
            _ => {}
        }
    }

    fn start_filter(&mut self) {
        let current = match self.view {
            ViewId::Class => &self.roster.listing.filter,
            ViewId::Resources => &self.resources.listing.filter,
            ViewId::Comments => &self.comments.listing.filter,
            ViewId::Items => &self.items.listing.filter,
            _ => {
                self.message = Some(Message::Info(
                    "/ filters the class roster, the resources, the comments and the items".into(),
                ));
                return;
            }
        };
        self.input = Some(Input {
            kind: InputKind::Filter,
            text: current.clone(),
            before: current.clone(),
        });
    }

    fn start_export(&mut self) {
        if self.view != ViewId::Queries || self.queries.result.ready().is_none() {
            self.message = Some(Message::Info(
                "x exports a query result: run one in Queries (7) first".into(),
            ));
            return;
        }
        let name: String = self
            .queries
            .title
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.input = Some(Input {
            kind: InputKind::ExportPath,
            text: format!("{}.csv", if name.is_empty() { "query" } else { &name }),
            before: String::new(),
        });
    }

    /// Asks where to write the report of the class under the cursor (Classes)
    /// or on screen (Class); the school's from the "whole school" row.
    fn start_report(&mut self, pseudonymize: bool) {
        let index = match (self.view, self.roster.scope) {
            (ViewId::Classes, _) => Some(self.classes_selected),
            (ViewId::Class, Some(Scope::Class(i))) => Some(i),
            (ViewId::Class, Some(Scope::School)) => Some(usize::MAX),
            _ => None,
        };
        let (Some(index), Some(school)) = (index, self.school.ready()) else {
            self.message = Some(Message::Info(
                "r writes a class report (R pseudonymized): pick a class in Classes (1) or open one (2)"
                    .into(),
            ));
            return;
        };
        let class_id = school.classes.get(index).map(|c| c.class_id.clone());
        let name = class_id
            .as_deref()
            .map_or_else(|| "school".to_string(), crate::report::slug);
        let folder = self
            .db_path
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("reports")
            .join(if pseudonymize {
                format!("{name}-pseudonymized")
            } else {
                name
            });
        self.report_target = Some((class_id, pseudonymize));
        self.input = Some(Input {
            kind: InputKind::ReportDir,
            text: folder.display().to_string(),
            before: String::new(),
        });
    }

    fn edit(&mut self, change: impl FnOnce(&mut String)) -> Requests {
        let Some(input) = self.input.as_mut() else {
            return Vec::new();
        };
        change(&mut input.text);
        if input.kind == InputKind::Filter {
            let text = input.text.clone();
            self.set_filter(text);
        }
        Vec::new()
    }

    fn submit(&mut self) -> Requests {
        let Some(input) = self.input.take() else {
            return Vec::new();
        };
        match input.kind {
            InputKind::Filter => Vec::new(),
            InputKind::Meaning => {
                let query = input.text.trim().to_string();
                if query.is_empty() {
                    return Vec::new();
                }
                // The feed stays on screen (and lends its weekly trend) until the answer.
                let class_id = self.comments_class();
                let model_dir = self.model_dir.clone();
                let multilingual_dir = self.multilingual_dir.clone();
                vec![self.ask(
                    Job::Comments,
                    Request::CommentSearch {
                        class_id,
                        query,
                        model_dir,
                        multilingual_dir,
                    },
                )]
            }
            InputKind::Sql => {
                if input.text.trim().is_empty() {
                    return Vec::new();
                }
                let requests = self.run_query(AD_HOC.into(), input.text);
                self.queries.in_results = true;
                requests
            }
            InputKind::ExportPath => match self.queries.sql.clone() {
                Some(sql) if !input.text.trim().is_empty() => {
                    let path = PathBuf::from(input.text.trim());
                    vec![self.ask(Job::Export, Request::Export { sql, path })]
                }
                _ => Vec::new(),
            },
            InputKind::ReportDir => match self.report_target.take() {
                Some((class_id, pseudonymize)) if !input.text.trim().is_empty() => {
                    let out = PathBuf::from(input.text.trim());
                    self.message = Some(Message::Info(format!(
                        "writing the report to {}…",
                        out.display()
                    )));
                    vec![self.ask(
                        Job::Report,
                        Request::Report {
                            class_id,
                            out,
                            pseudonymize,
                        },
                    )]
                }
                _ => Vec::new(),
            },
        }
    }

    fn set_filter(&mut self, text: String) {
        match self.view {
            ViewId::Class => {
                self.roster.listing.filter = text;
                self.rebuild_roster();
            }
            ViewId::Resources => {
                self.resources.listing.filter = text;
                self.rebuild_resources();
            }
            ViewId::Items => {
                self.items.listing.filter = text;
                self.rebuild_items();
            }
            ViewId::Comments => {
                self.comments.listing.filter = text;
                self.rebuild_comments();
            }
            _ => {}
        }
    }

    /// The Comments view's rows: those of the sentiment chosen whose text, student
    /// or topic holds the filter, in the feed's order (newest, or closest in meaning).
    fn rebuild_comments(&mut self) {
        let Some(feed) = self.comments.data.ready() else {
            self.comments.listing.order.clear();
            return;
        };
        let keep = self.comments.listing.selected_index();
        let needle = self.comments.listing.filter.to_lowercase();
        let sentiment = self.comments.sentiment_filter();
        self.comments.listing.order = feed
            .comments
            .iter()
            .enumerate()
            .filter(|(_, c)| sentiment.is_none() || c.sentiment.as_deref() == sentiment)
            .filter(|(_, c)| {
                needle.is_empty()
                    || [Some(&c.text), Some(&c.student), c.topic.as_ref()]
                        .into_iter()
                        .flatten()
                        .any(|f| f.to_lowercase().contains(&needle))
            })
            .map(|(i, _)| i as u32)
            .collect();
        self.comments.listing.reselect(keep);
    }

    /// The roster's rows again: the scope's students that match the filter, sorted.
    fn rebuild_roster(&mut self) {
        let (Some(scope), Some(students)) = (self.roster.scope, self.students.ready()) else {
            self.roster.listing.order.clear();
            return;
        };
        let keep = self.roster.listing.selected_index();
        let needle = self.roster.listing.filter.to_lowercase();
        self.roster.listing.order = students
            .iter()
            .enumerate()
            .filter(|(_, s)| match scope {
                Scope::Class(c) => s.class_index == c,
                Scope::School => true,
            })
            .filter(|(_, s)| needle.is_empty() || s.search_key.contains(&needle))
            .map(|(i, _)| i as u32)
            .collect();
        self.sort_roster(keep);
    }

    fn resort_roster(&mut self) {
        let keep = self.roster.listing.selected_index();
        self.sort_roster(keep);
    }

    /// Sorts the roster by its column; `keep` stays selected if it is still listed.
    fn sort_roster(&mut self, keep: Option<usize>) {
        let Some(students) = self.students.ready() else {
            return;
        };
        let column = RosterColumn::ALL[self.roster.listing.sort.min(RosterColumn::ALL.len() - 1)];
        let descending = self.roster.listing.descending;
        // Keys computed once per row and sorted as integers: a 50,000-student
        // roster re-sorts well within a frame.
        self.roster.listing.arrange_by_key(keep, |i| {
            let s = &students[i];
            match column {
                RosterColumn::Name if descending => (0, u32::MAX - s.name_rank),
                RosterColumn::Name => (0, s.name_rank),
                _ => (sort_key(column.value(s), descending), s.name_rank),
            }
        });
    }

    fn rebuild_resources(&mut self) {
        let Some(resources) = self.resources.data.ready() else {
            return;
        };
        let keep = self.resources.listing.selected_index();
        let needle = self.resources.listing.filter.to_lowercase();
        self.resources.listing.order = resources
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                needle.is_empty()
                    || [&r.title, &r.kind, &r.skill, &r.resource_id]
                        .iter()
                        .any(|f| f.to_lowercase().contains(&needle))
            })
            .map(|(i, _)| i as u32)
            .collect();
        self.sort_resources(keep);
    }

    fn resort_resources(&mut self) {
        let keep = self.resources.listing.selected_index();
        self.sort_resources(keep);
    }

    fn sort_resources(&mut self, keep: Option<usize>) {
        let Some(resources) = self.resources.data.ready() else {
            return;
        };
        let column = self.resource_column();
        let descending = self.resources.listing.descending;
        self.resources.listing.arrange(keep, |a, b| {
            column.compare(&resources[a], &resources[b], descending)
        });
    }

    fn rebuild_items(&mut self) {
        let Some(items) = self.items.data.ready() else {
            return;
        };
        let keep = self.items.listing.selected_index();
        let needle = self.items.listing.filter.to_lowercase();
        self.items.listing.order = items
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                needle.is_empty()
                    || [&r.item_id, &r.skill, &r.flags]
                        .iter()
                        .any(|f| f.to_lowercase().contains(&needle))
            })
            .map(|(i, _)| i as u32)
            .collect();
        self.sort_items(keep);
    }

    fn sort_items(&mut self, keep: Option<usize>) {
        let Some(items) = self.items.data.ready() else {
            return;
        };
        let column = self.item_column();
        let descending = self.items.listing.descending;
        self.items.listing.arrange(keep, |a, b| {
            column.compare(&items[a], &items[b], descending)
        });
    }

    fn take_answer(&mut self, ticket: Ticket, answer: Answer) -> Requests {
        match answer {
            Answer::School(result) => {
                if !self.accept(Job::School, ticket) {
                    return Vec::new();
                }
                match result {
                    Ok(school) => {
                        self.school = Loadable::Ready(school);
                        self.students = Loadable::Loading;
                        return vec![self.ask(Job::Students, Request::Students)];
                    }
                    Err(e) => fail(&mut self.school, &mut self.message, e),
                }
            }
            Answer::Students(result) => {
                if !self.accept(Job::Students, ticket) {
                    return Vec::new();
                }
                match (result, self.school.ready()) {
                    (Ok(activity), Some(school)) => {
                        self.students = Loadable::Ready(school.student_rows(activity));
                        self.rebuild_roster();
                    }
                    (Ok(_), None) => {}
                    (Err(e), _) => fail(&mut self.students, &mut self.message, e),
                }
            }
            Answer::Student(id, result) => {
                if !self.accept(Job::Student, ticket)
                    || self.student.student_id.as_deref() != Some(id.as_str())
                {
                    return Vec::new();
                }
                match result {
                    Ok(detail) => self.student.detail = Loadable::Ready(detail),
                    // A pin or hide that failed keeps the student on screen.
                    Err(e) if self.student.detail.ready().is_some() => {
                        self.message = Some(Message::Error(e));
                    }
                    Err(e) => fail(&mut self.student.detail, &mut self.message, e),
                }
            }
            Answer::Suggested(class, result) => {
                if !self.accept(Job::Suggested, ticket) {
                    return Vec::new();
                }
                match result {
                    Ok(rows) => self.suggested.data = Loadable::Ready((class, rows)),
                    Err(e) => fail(&mut self.suggested.data, &mut self.message, e),
                }
            }
            Answer::Skills(result) => {
                if !self.accept(Job::Skills, ticket) {
                    return Vec::new();
                }
                match result {
                    Ok(data) => self.skills.data = Loadable::Ready(data),
                    Err(e) => fail(&mut self.skills.data, &mut self.message, e),
                }
            }
            Answer::Resources(result) => {
                if !self.accept(Job::Resources, ticket) {
                    return Vec::new();
                }
                match result {
                    Ok(data) => {
                        self.resources.listing = Listing::default();
                        self.resources.data = Loadable::Ready(data);
                        self.rebuild_resources();
                    }
                    Err(e) => fail(&mut self.resources.data, &mut self.message, e),
                }
            }
            Answer::Items(result) => {
                if !self.accept(Job::Items, ticket) {
                    return Vec::new();
                }
                match result {
                    Ok(data) => {
                        self.items.listing = Listing::default();
                        self.items.data = Loadable::Ready(data);
                        self.rebuild_items();
                    }
                    Err(e) => fail(&mut self.items.data, &mut self.message, e),
                }
            }
            Answer::Comments(result) => {
                if !self.accept(Job::Comments, ticket) {
                    return Vec::new();
                }
                match result {
                    Ok(mut feed) => {
                        // A search's results keep the weekly trend of the feed they came from.
                        if feed.search.is_some()
                            && let Some(old) = self.comments.data.ready()
                        {
                            feed.weeks = old.weeks.clone();
                        }
                        self.comments.listing.order.clear();
                        self.comments.listing.selected = 0;
                        self.comments.data = Loadable::Ready(feed);
                        self.rebuild_comments();
                    }
                    Err(e) => fail(&mut self.comments.data, &mut self.message, e),
                }
            }
            Answer::Query(_, result) => {
                if !self.accept(Job::Query, ticket) {
                    return Vec::new();
                }
                match result {
                    Ok(result) => {
                        self.queries.result = Loadable::Ready(result);
                        self.queries.in_results = true;
                    }
                    Err(e) => fail(&mut self.queries.result, &mut self.message, e),
                }
            }
            Answer::Crashed(error) => {
                let job = self
                    .latest
                    .iter()
                    .find(|(_, t)| **t == ticket)
                    .map(|(job, _)| *job);
                if let Some(job) = job {
                    self.latest.remove(&job);
                    match job {
                        Job::School => self.school = Loadable::Failed(error.clone()),
                        Job::Students => self.students = Loadable::Failed(error.clone()),
                        Job::Student => self.student.detail = Loadable::Failed(error.clone()),
                        Job::Skills => self.skills.data = Loadable::Failed(error.clone()),
                        Job::Resources => self.resources.data = Loadable::Failed(error.clone()),
                        Job::Items => self.items.data = Loadable::Failed(error.clone()),
                        Job::Suggested => self.suggested.data = Loadable::Failed(error.clone()),
                        Job::Comments => self.comments.data = Loadable::Failed(error.clone()),
                        Job::Query => self.queries.result = Loadable::Failed(error.clone()),
                        Job::Export | Job::Report => {}
                    }
                }
                self.message = Some(Message::Error(error));
            }
            Answer::Reported(result) => {
                self.accept(Job::Report, ticket);
                self.message = Some(match result {
                    Ok(done) => Message::Info(done),
                    Err(e) => Message::Error(e),
                });
            }
            Answer::Exported(path, result) => {
                self.accept(Job::Export, ticket);
                self.message = Some(match result {
                    Ok(rows) => Message::Info(format!("wrote {rows} rows to {}", path.display())),
                    Err(e) => Message::Error(e),
                });
            }
        }
        Vec::new()
    }
}

/// Shows a worker's failure on the message line and in the panel that waited for it.
fn fail<T>(slot: &mut Loadable<T>, message: &mut Option<Message>, error: String) {
    *message = Some(Message::Error(error.clone()));
    *slot = Loadable::Failed(error);
}

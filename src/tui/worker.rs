//! The one thread that talks to the database, so the screen never waits on a query.
//! Requests go in over a channel; each answer comes back tagged with the
//! request's ticket, and the app drops answers it no longer wants.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use crate::store::Store;
use crate::store::dashboard::{
    CommentFeed, FeedComment, ResourceUse, StudentActivity, StudentDetail,
};
use crate::store::reports::QueryResult;

use super::data::{School, SkillsData};

/// Rows a query result may hold in the dashboard; export re-runs without the cap.
pub const QUERY_ROWS: usize = 10_000;

#[derive(Debug, Clone)]
pub enum Request {
    School,
    Students,
    Student(String),
    Skills,
    Resources,
    /// Every item's estimates, for the item analysis.
    Items,
    /// Resources by how often they are suggested, to a class or (None) the school.
    Suggested(Option<String>),
    /// The latest comments of a class (None: the school).
    Comments(Option<String>),
    /// Comments closest in meaning to `query`; the encoder is loaded on the first.
    CommentSearch {
        class_id: Option<String>,
        query: String,
        model_dir: Option<PathBuf>,
        multilingual_dir: Option<PathBuf>,
    },
    Query {
        title: String,
        sql: String,
    },
    Export {
        sql: String,
        path: PathBuf,
    },
    /// A class's report (None: the school's) into `out`.
    Report {
        class_id: Option<String>,
        out: PathBuf,
        pseudonymize: bool,
    },
    /// Pin, hide or (None) clear a resource for a student, then their detail again.
    Override {
        student_id: String,
        resource_id: String,
        action: Option<crate::store::recommend::Action>,
    },
}

#[derive(Debug)]
pub enum Answer {
    School(Result<School, String>),
    Students(Result<Vec<StudentActivity>, String>),
    Student(String, Result<StudentDetail, String>),
    Skills(Result<SkillsData, String>),
    Resources(Result<Vec<ResourceUse>, String>),
    Items(Result<Vec<crate::store::ability::ItemAnalysis>, String>),
    Suggested(
        Option<String>,
        Result<Vec<crate::store::recommend::SuggestedResource>, String>,
    ),
    Comments(Result<CommentFeed, String>),
    Query(String, Result<Arc<QueryResult>, String>),
    Exported(PathBuf, Result<usize, String>),
    /// What a report wrote, in words.
    Reported(Result<String, String>),
    /// The request panicked (a bug): the message, for the status line.
    Crashed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

/// Does one request. Everything the dashboard reads passes through here, in
/// the worker thread or, in tests, in line.
pub fn handle(store: &Store, request: Request) -> Answer {
    let text = |e: crate::store::StoreError| e.to_string();
    match request {
        Request::School => Answer::School(
            (|| Ok(School::new(store.data_span()?, store.class_activity()?)))().map_err(text),
        ),
        Request::Students => Answer::Students(store.student_activity().map_err(text)),
        Request::Student(id) => {
            let detail = store
                .student_detail(&id)
                .map(|mut d| {
                    d.explanations =
                        crate::ability::explain::student(&d.abilities, &d.answers, &d.trends);
                    d
                })
                .map_err(text);
            Answer::Student(id, detail)
        }
        Request::Skills => Answer::Skills(
            (|| {
                Ok(SkillsData::new(
                    store.skills()?,
                    &store.classes()?,
                    store.skill_class_rates()?,
                    store.prerequisites()?,
                ))
            })()
            .map_err(text),
        ),
        Request::Resources => Answer::Resources(store.resource_catalog().map_err(text)),
        Request::Items => Answer::Items(store.item_analysis().map_err(text)),
        Request::Comments(class_id) => {
            Answer::Comments(store.comment_feed(class_id.as_deref()).map_err(text))
        }
        Request::CommentSearch {
            class_id,
            query,
            model_dir,
            multilingual_dir,
        } => Answer::Comments(search_comments(
            store,
            class_id,
            &query,
            model_dir.as_deref(),
            multilingual_dir.as_deref(),
        )),
        Request::Query { title, sql } => Answer::Query(
            title,
            store
                .query_text(&sql, QUERY_ROWS)
                .map(Arc::new)
                .map_err(text),
        ),
        Request::Suggested(class) => {
            let rows = store.suggested_most(class.as_deref()).map_err(text);
            Answer::Suggested(class, rows)
        }
        Request::Override { student_id, .. } => Answer::Student(
            student_id,
            Err("pins and hides are written by the dashboard's worker".into()),
        ),
        Request::Export { sql, path } => {
            let outcome = export(store, &sql, &path);
            Answer::Exported(path, outcome)
        }
        Request::Report {
            class_id,
            out,
            pseudonymize,
        } => Answer::Reported(report(store, class_id.as_deref(), &out, pseudonymize)),
    }
}

/// The report the dashboard's r/R keys ask for: HTML and CSV, as the CLI's defaults.
fn report(
    store: &Store,
    class_id: Option<&str>,
    out: &std::path::Path,
    pseudonymize: bool,
) -> Result<String, String> {
    let options = crate::report::Options {
        pseudonymize,
        ..crate::report::Options::default()
    };
    let written = match class_id {
        Some(class) => crate::report::class(store, class, out, &options),
        None => crate::report::school(store, out, &options),
    }
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "wrote {} ({} files, {:.1} MB)",
        written.main.as_deref().unwrap_or(out).display(),
        written.files.len(),
        written.bytes as f64 / 1e6
    ))
}

/// Comments found by meaning, as a feed. The encoder stays loaded in this thread.
fn search_comments(
    store: &Store,
    class_id: Option<String>,
    query: &str,
    model_dir: Option<&std::path::Path>,
    multilingual_dir: Option<&std::path::Path>,
) -> Result<CommentFeed, String> {
    use crate::store::insights::CommentFilter;
    use crate::text::routing::Route;
    use crate::text::sentiment::SentimentHead;
    use crate::text::{encoder::DeviceChoice, encoder::Encoder, insights, language, model, search};
    thread_local! {
        // (which encoder: its folder or file, its cache key, the encoder)
        static ENCODERS: std::cell::RefCell<Vec<(PathBuf, String, Encoder)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let text = |e: crate::store::StoreError| e.to_string();
    let source = store
        .insight_source()
        .map_err(text)?
        .ok_or("no analysed comments yet: run classlens analyze first")?;
    // The query is read by the encoder that read comments in its language.
    let route = Route::from_source(&source);
    let key = route.model_for(&language::detect(query)).to_string();
    let normalised = crate::text::normalise(query);
    let vector = ENCODERS.with(|cell| -> Result<Vec<f32>, String> {
        let mut cell = cell.borrow_mut();
        if !cell.iter().any(|(_, k, _)| *k == key) {
            let fetch_hint =
                |e: model::ModelError| format!("{e} (classlens model fetch installs the encoder)");
            let (path, loaded_key, encoder) = if model::is_multilingual(&key) {
                let manifest = model::multilingual_manifest();
                let dir = multilingual_dir.map_or_else(model::multilingual_dir, PathBuf::from);
                let info = model::verify(&manifest, &dir).map_err(fetch_hint)?;
                let file = info.dir.join(manifest.weights_file());
                let encoder = Encoder::load_multilingual(&file, DeviceChoice::Auto)
                    .map_err(|e| e.to_string())?;
                (file, info.cache_key(), encoder)
            } else {
                let manifest = model::default_manifest();
                let dir =
                    model_dir.map_or_else(|| model::default_model_dir(&manifest), PathBuf::from);
                let info = model::verify(&manifest, &dir)
                    .or_else(|_| model::inspect(&dir))
                    .map_err(fetch_hint)?;
                let encoder = Encoder::load(&info.dir, DeviceChoice::Auto, manifest.max_tokens)
                    .map_err(|e| e.to_string())?;
                (dir, info.cache_key(), encoder)
            };
            if loaded_key != key {
                return Err(format!(
                    "the comments were analysed with {key}, not with {loaded_key} ({})",
                    path.display()
                ));
            }
            cell.push((path, loaded_key, encoder));
        }
        let (_, _, encoder) = cell
            .iter()
            .find(|(_, k, _)| *k == key)
            .ok_or("no encoder")?;
        Ok(encoder
            .encode_queries(&[normalised.as_str()], 1)
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .unwrap_or_default())
    })?;
    let head = if model::is_multilingual(&key) {
        SentimentHead::shipped_multilingual()
    } else {
        SentimentHead::shipped()
    }
    .ok()
    .filter(|h| h.info.encoder == key);
    let topics = insights::stored_topics(store, &key).map_err(text)?;
    let query_vector = search::Query::new(query, vector, head.as_ref(), &topics, &key);
    let filter = CommentFilter {
        class_id: class_id.clone(),
        ..CommentFilter::default()
    };
    // The index holds the English encoder's vectors; another model's are read from the database.
    let index = crate::text::index::current(store)
        .map_err(|e| e.to_string())?
        .filter(|_| key == route.english);
    let hits = search::search(
        store,
        &key,
        &query_vector,
        &filter,
        SEARCH_HITS,
        index.as_ref(),
    )
    .map_err(text)?;
    Ok(CommentFeed {
        class_id,
        comments: hits
            .into_iter()
            .map(|h| FeedComment {
                time: h.comment.time,
                class_id: h.comment.class_id,
                student_id: h.comment.student_id,
                student: h.comment.student,
                text: h.comment.text,
                sentiment: h.comment.sentiment,
                status: Some(h.comment.status),
                topic: h.comment.topic,
                topic_from: h.comment.topic_from,
                score: Some(h.score),
            })
            .collect(),
        weeks: Vec::new(),
        search: Some(query.to_string()),
    })
}

/// Comments a search by meaning shows.
pub const SEARCH_HITS: usize = 100;

fn export(store: &Store, sql: &str, path: &std::path::Path) -> Result<usize, String> {
    // Every row. (DuckDB's top-N overflows on a LIMIT near u64::MAX.)
    const ALL_ROWS: usize = 1 << 40;
    let result = store.query_text(sql, ALL_ROWS).map_err(|e| e.to_string())?;
    let file =
        std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    result
        .write_csv(std::io::BufWriter::new(file))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(result.rows.len())
}

/// Like [`handle`], and also the one request that writes: a pin or hide.
/// DuckDB lets a process write only with the file to itself, so the
/// read-only connection is closed for it and opened again after; `store` is
/// None only if that reopening failed.
pub fn handle_mut(store: &mut Option<Store>, request: Request) -> Answer {
    let Request::Override {
        student_id,
        resource_id,
        action,
    } = request
    else {
        return match store {
            Some(store) => handle(store, request),
            None => Answer::Crashed("the database could not be opened again".into()),
        };
    };
    let Some(open) = store.take() else {
        return Answer::Crashed("the database could not be opened again".into());
    };
    let path = open.path().to_path_buf();
    drop(open);
    let written = (|| -> Result<(), String> {
        let mut writer =
            Store::open(&path, crate::store::Access::ReadWrite).map_err(|e| e.to_string())?;
        writer
            .set_override(&student_id, &resource_id, action)
            .map_err(|e| e.to_string())?;
        crate::recommend::school::refresh_student(&mut writer, &student_id)
            .map_err(|e| e.to_string())?;
        Ok(())
    })();
    match Store::open_read_only(&path, false) {
        Ok(reader) => {
            let answer = match written {
                Ok(()) => handle(&reader, Request::Student(student_id)),
                Err(e) => Answer::Student(student_id, Err(e)),
            };
            *store = Some(reader);
            answer
        }
        Err(e) => Answer::Crashed(format!("the database could not be opened again: {e}")),
    }
}

/// The worker thread's name; the panic hook knows it by this.
pub const THREAD: &str = "classlens-db";

/// Runs requests until the app hangs up; answers go out through `reply`.
pub fn spawn<M: Send + 'static>(
    store: Store,
    requests: Receiver<(Ticket, Request)>,
    reply: Sender<M>,
    wrap: fn(Ticket, Answer) -> M,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name(THREAD.into())
        .spawn(move || {
            let mut store = Some(store);
            for (ticket, request) in requests {
                let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    handle_mut(&mut store, request)
                }))
                .unwrap_or_else(|panic| {
                    let text = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "no message".into());
                    Answer::Crashed(format!("classlens hit a bug reading the database: {text}"))
                });
                if reply.send(wrap(ticket, answer)).is_err() {
                    break;
                }
            }
        })
}

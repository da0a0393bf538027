//! The one thread that talks to the database, so the screen never waits on a query.
//! Requests go in over a channel; each answer comes back tagged with the
//! request's ticket, and the app drops answers it no longer wants.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use crate::store::Store;
use crate::store::dashboard::{ResourceUse, StudentActivity, StudentDetail};
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
    Query { title: String, sql: String },
    Export { sql: String, path: PathBuf },
}

#[derive(Debug)]
pub enum Answer {
    School(Result<School, String>),
    Students(Result<Vec<StudentActivity>, String>),
    Student(String, Result<StudentDetail, String>),
    Skills(Result<SkillsData, String>),
    Resources(Result<Vec<ResourceUse>, String>),
    Query(String, Result<Arc<QueryResult>, String>),
    Exported(PathBuf, Result<usize, String>),
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
            let detail = store.student_detail(&id).map_err(text);
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
        Request::Query { title, sql } => Answer::Query(
            title,
            store
                .query_text(&sql, QUERY_ROWS)
                .map(Arc::new)
                .map_err(text),
        ),
        Request::Export { sql, path } => {
            let outcome = export(store, &sql, &path);
            Answer::Exported(path, outcome)
        }
    }
}

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
            for (ticket, request) in requests {
                let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    handle(&store, request)
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

use std::path::PathBuf;

/// What went wrong opening or querying the database, phrased for the person at the keyboard.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // A reader is only ever blocked by a writer; a writer by anyone, a
    // teacher's dashboard included, so it cannot say which.
    #[error("{}{}{}; {}",
        file_name(path),
        if *read_only { " is open for writing by another process" } else { " is in use by another process" },
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
        if *read_only {
            "wait for it to finish, then try again"
        } else {
            "writing needs the file to itself: close that process (a dashboard, another ingest) and try again, or add --read-only to only look"
        })]
    Locked {
        path: PathBuf,
        pid: Option<u32>,
        read_only: bool,
    },

    #[error("there is no classlens database at {}: load your school's exports with `classlens ingest FOLDER`, or build the demo school with `classlens demo`", path.display())]
    Missing { path: PathBuf },

    #[error("{} was written by a newer classlens (schema version {found}; this build knows up to {known}): upgrade classlens", path.display())]
    SchemaTooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },

    #[error("{} has schema version {found} and this classlens needs {known}: open it once without --read-only to upgrade it", path.display())]
    SchemaOutdated {
        path: PathBuf,
        found: u32,
        known: u32,
    },

    #[error("cannot create the folder {} for the database: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("the database is open read-only; {action} needs write access (drop --read-only)")]
    ReadOnly { action: &'static str },

    #[error("queries run only on a read-only connection")]
    NotReadOnly,

    #[error("{0}")]
    BadQuery(String),

    #[error("there is no {what} {id:?} in the database")]
    NotFound { what: &'static str, id: String },

    #[error("DuckDB failed while {context}: {source}")]
    Db {
        context: String,
        source: duckdb::Error,
    },
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Attaches what we were doing to a DuckDB error.
pub(crate) trait DbContext<T> {
    fn context(self, context: impl Into<String>) -> Result<T, StoreError>;
}

impl<T> DbContext<T> for Result<T, duckdb::Error> {
    fn context(self, context: impl Into<String>) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Db {
            context: context.into(),
            source,
        })
    }
}

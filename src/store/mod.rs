//! The one owner of the DuckDB file: opening it, its schema, typed queries and ingest.

pub mod ability;
pub mod class_report;
pub mod dashboard;
pub mod embeddings;
mod error;
pub mod ingest;
pub mod insights;
pub mod recommend;
pub mod reports;
pub mod tables;

use std::path::{Path, PathBuf};

use duckdb::{AccessMode, Config, Connection};
use serde::Serialize;

use error::DbContext;
pub use error::StoreError;

/// Numbered migrations; each runs once, in order, in its own transaction.
const MIGRATIONS: &[(u32, &str, &str)] = &[
    (1, "core", include_str!("../../queries/schema/001_core.sql")),
    (
        2,
        "truth",
        include_str!("../../queries/schema/002_truth.sql"),
    ),
    (
        3,
        "ingest_log",
        include_str!("../../queries/schema/003_ingest_log.sql"),
    ),
    (
        4,
        "activity_weekly",
        include_str!("../../queries/schema/004_activity_weekly.sql"),
    ),
    (
        5,
        "embeddings",
        include_str!("../../queries/schema/005_embeddings.sql"),
    ),
    (
        6,
        "ability",
        include_str!("../../queries/schema/006_ability.sql"),
    ),
    (
        7,
        "insights",
        include_str!("../../queries/schema/007_insights.sql"),
    ),
    (
        8,
        "mastery",
        include_str!("../../queries/schema/008_mastery.sql"),
    ),
    (
        9,
        "recommend",
        include_str!("../../queries/schema/009_recommend.sql"),
    ),
    (
        10,
        "recommend_inputs",
        include_str!("../../queries/schema/010_recommend_inputs.sql"),
    ),
    (
        11,
        "truth_meaning",
        include_str!("../../queries/schema/011_truth_meaning.sql"),
    ),
    (
        12,
        "language_centres",
        include_str!("../../queries/schema/012_language_centres.sql"),
    ),
    (
        13,
        "topic_anchors",
        include_str!("../../queries/schema/013_topic_anchors.sql"),
    ),
];

pub const SCHEMA_VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    ReadOnly,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    access: Access,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TableCount {
    pub table: String,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActivitySpan {
    pub first_activity: Option<String>,
    pub last_activity: Option<String>,
    pub last_ingest: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassOverview {
    pub class_id: String,
    pub name: String,
    pub students: u64,
    pub responses: u64,
    pub correct_rate: Option<f64>,
    pub minutes_watched: f64,
}

impl Store {
    /// Opens (read-write: creating and migrating) the database at `path`.
    pub fn open(path: &Path, access: Access) -> Result<Store, StoreError> {
        let exists = path.exists();
        if access == Access::ReadOnly && !exists {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        if !exists && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let mode = match access {
            Access::ReadWrite => AccessMode::ReadWrite,
            Access::ReadOnly => AccessMode::ReadOnly,
        };
        let config = Config::default()
            .access_mode(mode)
            .and_then(|c| c.enable_autoload_extension(false))
            .context("configuring DuckDB")?;
        let conn =
            Connection::open_with_flags(path, config).map_err(|e| open_error(path, access, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            access,
        };
        store.migrate()?;
        Ok(store)
    }

    /// Read-only, so that several readers can share the file; a file from an
    /// older classlens is upgraded first when `upgrade` allows writing.
    pub fn open_read_only(path: &Path, upgrade: bool) -> Result<Store, StoreError> {
        match Store::open(path, Access::ReadOnly) {
            Err(StoreError::SchemaOutdated { .. }) if upgrade => {
                drop(Store::open(path, Access::ReadWrite)?);
                Store::open(path, Access::ReadOnly)
            }
            other => other,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn access(&self) -> Access {
        self.access
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn require_write(&self, action: &'static str) -> Result<(), StoreError> {
        match self.access {
            Access::ReadWrite => Ok(()),
            Access::ReadOnly => Err(StoreError::ReadOnly { action }),
        }
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let has_table: bool = self
            .conn
            .query_row(
                "SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'schema_version' AND NOT temporary",
                [],
                |r| r.get(0),
            )
            .context("reading the schema version")?;
        if !has_table {
            return Ok(0);
        }
        self.conn
            .query_row(
                "SELECT coalesce(max(version), 0) FROM schema_version",
                [],
                |r| r.get(0),
            )
            .context("reading the schema version")
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                path: self.path.clone(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        if self.access == Access::ReadOnly {
            return Err(StoreError::SchemaOutdated {
                path: self.path.clone(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        self.conn
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_version (
                    version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)",
            )
            .context("creating the schema_version table")?;
        for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
            let tx = self.conn.transaction().context("starting a migration")?;
            tx.execute_batch(sql)
                .context(format!("applying migration {version:03} ({name})"))?;
            tx.execute(
                "INSERT INTO schema_version VALUES (?, ?, current_timestamp::TIMESTAMP)",
                duckdb::params![version, name],
            )
            .context("recording a migration")?;
            tx.commit()
                .context(format!("committing migration {version:03} ({name})"))?;
        }
        Ok(())
    }

    /// Every row of one query, each made by `map`; `context` names the work in errors.
    pub(crate) fn rows<T, P: duckdb::Params>(
        &self,
        sql: &str,
        params: P,
        context: &str,
        map: impl FnMut(&duckdb::Row<'_>) -> duckdb::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).context(context)?;
        let rows = stmt.query_map(params, map).context(context)?;
        rows.collect::<Result<Vec<_>, _>>().context(context)
    }

    pub fn table_counts(&self) -> Result<Vec<TableCount>, StoreError> {
        self.rows(
            include_str!("../../queries/stats/table_counts.sql"),
            [],
            "counting rows",
            |r| {
                Ok(TableCount {
                    table: r.get(0)?,
                    rows: r.get(1)?,
                })
            },
        )
    }

    pub fn activity_span(&self) -> Result<ActivitySpan, StoreError> {
        self.conn
            .query_row(
                include_str!("../../queries/stats/activity_span.sql"),
                [],
                |r| {
                    Ok(ActivitySpan {
                        first_activity: r.get(0)?,
                        last_activity: r.get(1)?,
                        last_ingest: r.get(2)?,
                    })
                },
            )
            .context("reading the activity span")
    }

    pub fn class_overview(&self) -> Result<Vec<ClassOverview>, StoreError> {
        self.rows(
            include_str!("../../queries/stats/class_overview.sql"),
            [],
            "summarising classes",
            |r| {
                Ok(ClassOverview {
                    class_id: r.get(0)?,
                    name: r.get(1)?,
                    students: r.get(2)?,
                    responses: r.get(3)?,
                    correct_rate: r.get(4)?,
                    minutes_watched: r.get(5)?,
                })
            },
        )
    }
}

/// DuckDB reports a held file lock as an IO error naming the holder's PID;
/// turn it into advice instead of a crash.
fn open_error(path: &Path, access: Access, e: duckdb::Error) -> StoreError {
    let message = e.to_string();
    if message.contains("Could not set lock") || message.contains("Conflicting lock") {
        return StoreError::Locked {
            path: path.to_path_buf(),
            pid: lock_holder_pid(&message),
            read_only: access == Access::ReadOnly,
        };
    }
    StoreError::Db {
        context: format!("opening {}", path.display()),
        source: e,
    }
}

fn lock_holder_pid(message: &str) -> Option<u32> {
    let after = &message[message.find("PID ")? + 4..];
    let digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_holder_pid_is_read_from_duckdbs_message() {
        let msg = "IO Error: Could not set lock on file \"/x/classlens.duckdb\": Conflicting lock is held in /usr/bin/classlens (PID 4242) by user root.";
        assert_eq!(lock_holder_pid(msg), Some(4242));
        assert_eq!(
            lock_holder_pid("IO Error: Could not set lock on file"),
            None
        );
    }

    #[test]
    fn migrations_are_numbered_in_order() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.0 as usize, i + 1);
        }
    }
}

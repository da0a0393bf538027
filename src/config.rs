//! Where things live by default.

use std::path::PathBuf;

const APP_DIR: &str = "classlens";

/// The per-user data folder: `$XDG_DATA_HOME/classlens` (usually
/// `~/.local/share/classlens`) on Linux, the platform's equivalent elsewhere.
pub fn data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(APP_DIR)
}

/// The school's database, unless `--db` or `CLASSLENS_DB` says otherwise.
pub fn default_db_path() -> PathBuf {
    data_dir().join("classlens.duckdb")
}

/// The demo school's database, kept apart from real data.
pub fn default_demo_db_path() -> PathBuf {
    data_dir().join("demo.duckdb")
}

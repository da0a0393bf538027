//! Saved teacher queries (`queries/reports/*.sql`) and ad-hoc SQL, run on a
//! read-only connection, with results as text for tables and CSV.

use std::io::Write;

use serde::Serialize;

use super::error::DbContext;
use super::{Access, Store, StoreError};

/// A saved query: its file name, the description on its first line, its SQL.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Report {
    pub name: &'static str,
    pub description: &'static str,
    #[serde(skip)]
    pub sql: &'static str,
}

macro_rules! reports {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../queries/reports/", $name, ".sql")))),*]
    };
}

const REPORTS: &[(&str, &str)] = reports![
    "struggling_students",
    "inactive_students",
    "hardest_items",
    "skill_correct_rates_by_class",
    "resource_engagement",
    "top_searches",
    "recent_comments",
    "weekly_activity",
];

/// Every saved report, in a teacher's order of interest.
pub fn reports() -> Vec<Report> {
    REPORTS
        .iter()
        .map(|&(name, sql)| Report {
            name,
            description: sql
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("--"))
                .unwrap_or("")
                .trim(),
            sql,
        })
        .collect()
}

pub fn report(name: &str) -> Option<Report> {
    reports().into_iter().find(|r| r.name == name)
}

/// A result table with every value as text (None for NULL).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
    /// More rows existed than were asked for.
    pub truncated: bool,
}

impl Store {
    /// Runs one SELECT-like statement and returns up to `max_rows` rows as text.
    /// Only on a read-only store, and wrapped in a SELECT, so that a teacher's
    /// typo can never change data.
    pub fn query_text(&self, sql: &str, max_rows: usize) -> Result<QueryResult, StoreError> {
        let wrapped = format!(
            "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({}) LIMIT {}",
            statement(sql)?,
            max_rows.saturating_add(1).min(i64::MAX as usize)
        );
        let context = "running the query";
        let mut stmt = self.read_only_conn()?.prepare(&wrapped).map_err(refused)?;
        let mut rows = stmt.query([]).map_err(refused)?;
        let columns = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
        let mut out = Vec::new();
        while let Some(row) = rows.next().context(context)? {
            let values = (0..columns.len())
                .map(|i| row.get::<_, Option<String>>(i))
                .collect::<Result<Vec<_>, _>>();
            out.push(values.context(context)?);
        }
        let truncated = out.len() > max_rows;
        out.truncate(max_rows);
        Ok(QueryResult {
            columns,
            rows: out,
            truncated,
        })
    }

    /// The same as [`Store::query_text`], each row a JSON object with its types kept.
    pub fn query_json(
        &self,
        sql: &str,
        max_rows: usize,
    ) -> Result<Vec<serde_json::Value>, StoreError> {
        let wrapped = format!(
            "SELECT CAST(to_json(t) AS VARCHAR) FROM ({}) t LIMIT {}",
            statement(sql)?,
            max_rows.min(i64::MAX as usize)
        );
        let context = "running the query";
        let mut stmt = self.read_only_conn()?.prepare(&wrapped).context(context)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .context(context)?;
        let mut out = Vec::new();
        for row in rows {
            let text = row.context(context)?;
            out.push(serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)));
        }
        Ok(out)
    }

    fn read_only_conn(&self) -> Result<&duckdb::Connection, StoreError> {
        match self.access() {
            Access::ReadOnly => Ok(self.conn()),
            Access::ReadWrite => Err(StoreError::NotReadOnly),
        }
    }
}

/// DuckDB's first line says what is wrong with the query; the rest repeats it.
fn refused(e: duckdb::Error) -> StoreError {
    let message = e.to_string();
    let first = message.lines().next().unwrap_or(&message).trim();
    StoreError::BadQuery(format!(
        "the query failed: {first} (one SELECT or WITH ... SELECT runs here, read-only)"
    ))
}

/// One statement, without its trailing semicolon.
fn statement(sql: &str) -> Result<&str, StoreError> {
    let sql = sql.trim().trim_end_matches(';').trim_end();
    if sql.is_empty() {
        return Err(StoreError::BadQuery("the query is empty".into()));
    }
    if sql.contains(';') && !sql.starts_with("--") {
        return Err(StoreError::BadQuery(
            "one statement at a time, please".into(),
        ));
    }
    Ok(sql)
}

impl QueryResult {
    /// CSV with a header; text that a spreadsheet would run as a formula
    /// (`=`, `+`, `-`, `@` first) is written with a leading apostrophe.
    pub fn write_csv(&self, out: impl Write) -> Result<(), csv::Error> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(&self.columns)?;
        for row in &self.rows {
            csv.write_record(
                row.iter()
                    .map(|v| spreadsheet_safe(v.as_deref().unwrap_or("")).into_owned()),
            )?;
        }
        csv.flush()?;
        Ok(())
    }
}

fn spreadsheet_safe(value: &str) -> std::borrow::Cow<'_, str> {
    let risky = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && value.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_has_a_description() {
        for r in reports() {
            assert!(r.description.len() > 20, "{}", r.name);
            assert!(!r.description.starts_with('-'));
        }
        assert!(report("weekly_activity").is_some());
        assert!(report("nope").is_none());
    }

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(spreadsheet_safe("=cmd()"), "'=cmd()");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("-0.5"), "-0.5");
        assert_eq!(spreadsheet_safe("plain"), "plain");
    }

    #[test]
    fn one_statement_at_a_time() {
        assert_eq!(statement(" SELECT 1; ").ok(), Some("SELECT 1"));
        assert!(statement("SELECT 1; DROP TABLE students").is_err());
        assert!(statement(" ; ").is_err());
    }
}

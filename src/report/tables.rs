//! The tables behind the charts, as CSV (spreadsheet-safe) and Parquet
//! (typed, through an in-memory DuckDB).

use std::path::Path;

use super::model::ClassReport;
use super::privacy::{make_private, private_dir};
use super::{Formats, ReportError, Written};

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    /// No value: not measured, or suppressed (a `suppressed` column says which).
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn opt_num(v: Option<f64>) -> Cell {
        v.filter(|v| v.is_finite()).map_or(Cell::Empty, Cell::Num)
    }

    pub fn opt_text(v: Option<&str>) -> Cell {
        v.map_or(Cell::Empty, Cell::text)
    }

    /// The CSV field: numbers with enough digits to round-trip the figures
    /// shown, text defused for spreadsheets.
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(s) => defuse(s),
            Cell::Int(i) => i.to_string(),
            Cell::Num(v) => format!("{}", round6(*v)),
            Cell::Bool(b) => b.to_string(),
            Cell::Empty => String::new(),
        }
    }

    fn sql_type(&self) -> Option<&'static str> {
        match self {
            Cell::Text(_) => Some("VARCHAR"),
            Cell::Int(_) => Some("BIGINT"),
            Cell::Num(_) => Some("DOUBLE"),
            Cell::Bool(_) => Some("BOOLEAN"),
            Cell::Empty => None,
        }
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// A spreadsheet runs a cell that starts with = + - @ (or a tab/CR) as a
/// formula; a leading apostrophe keeps it text. Numbers are never text here.
fn defuse(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// File stem.
    pub name: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(name: &str, title: &str, columns: &[&str]) -> Table {
        Table {
            name: name.into(),
            title: title.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.columns)?;
        for row in &self.rows {
            w.write_record(row.iter().map(Cell::csv))?;
        }
        w.into_inner().map_err(|e| e.into_error().into())
    }

    /// Each column's type: that of its first value (VARCHAR when all empty).
    fn sql_types(&self) -> Vec<&'static str> {
        (0..self.columns.len())
            .map(|c| {
                self.rows
                    .iter()
                    .find_map(|r| r.get(c).and_then(Cell::sql_type))
                    .unwrap_or("VARCHAR")
            })
            .collect()
    }
}

/// `table` into `dir` as `<name>.csv` and/or `<name>.parquet`.
pub fn write(
    table: &Table,
    dir: &Path,
    formats: Formats,
    written: &mut Written,
) -> Result<(), ReportError> {
    private_dir(dir)?;
    if formats.csv {
        let path = dir.join(format!("{}.csv", table.name));
        let bytes = table.csv().map_err(|e| ReportError::Write {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        written.file(path, &bytes)?;
    }
    if formats.parquet {
        let path = dir.join(format!("{}.parquet", table.name));
        parquet(table, &path)?;
        make_private(&path, false)?;
        written.bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        written.files.push(path);
    }
    Ok(())
}

fn parquet(table: &Table, path: &Path) -> Result<(), ReportError> {
    use duckdb::types::Value;
    let fail = |why: String| ReportError::Parquet {
        path: path.to_path_buf(),
        why,
    };
    let db = duckdb::Connection::open_in_memory().map_err(|e| fail(e.to_string()))?;
    let columns: Vec<String> = table
        .columns
        .iter()
        .zip(table.sql_types())
        .map(|(name, ty)| format!("\"{}\" {ty}", name.replace('"', "\"\"")))
        .collect();
    db.execute_batch(&format!("CREATE TABLE t ({});", columns.join(", ")))
        .map_err(|e| fail(e.to_string()))?;
    {
        let mut app = db.appender("t").map_err(|e| fail(e.to_string()))?;
        for row in &table.rows {
            let values: Vec<Value> = row
                .iter()
                .map(|c| match c {
                    Cell::Text(s) => Value::Text(s.clone()),
                    Cell::Int(i) => Value::BigInt(*i),
                    Cell::Num(v) => Value::Double(*v),
                    Cell::Bool(b) => Value::Boolean(*b),
                    Cell::Empty => Value::Null,
                })
                .collect();
            app.append_row(duckdb::appender_params_from_iter(values))
                .map_err(|e| fail(e.to_string()))?;
        }
        app.flush().map_err(|e| fail(e.to_string()))?;
    }
    let target = path.to_string_lossy().replace('\'', "''");
    db.execute_batch(&format!("COPY t TO '{target}' (FORMAT parquet);"))
        .map_err(|e| fail(e.to_string()))?;
    Ok(())
}

/// The school index's table: one line per class.
pub fn school_table(reports: &[ClassReport]) -> Table {
    let mut t = Table::new(
        "classes",
        "Classes",
        &[
            "class_id",
            "class",
            "students",
            "answers",
            "share_right",
            "mean_ability",
            "at_risk",
            "suppressed",
        ],
    );
    for r in reports {
        let k = &r.key_figures;
        t.rows.push(vec![
            Cell::text(&r.class_id),
            Cell::text(&r.name),
            Cell::Int(r.students as i64),
            k.answers.map_or(Cell::Empty, |a| Cell::Int(a as i64)),
            Cell::opt_num(k.share_right),
            Cell::opt_num(k.mean_ability),
            k.at_risk.map_or(Cell::Empty, |a| Cell::Int(a as i64)),
            Cell::Bool(k.suppressed),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(Cell::text("=1+2").csv(), "'=1+2");
        assert_eq!(Cell::text("-x").csv(), "'-x");
        assert_eq!(Cell::Num(-0.1234567).csv(), "-0.123457");
        assert_eq!(Cell::Empty.csv(), "");
    }
}

//! A wide 0/1 answer matrix from a CSV (one row per person, one column per
//! item, empty = not answered), as exam tools export them.

use std::path::Path;

use super::irt::Responses;

/// Column names taken as the person's identifier rather than an item.
const ID_COLUMNS: &[&str] = &[
    "id",
    "person",
    "person_id",
    "student",
    "student_id",
    "name",
    "rownames",
    "rownum",
];
/// Bad cells listed in an error before the rest are only counted.
const LISTED: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: no item columns (the header names the items; an id column is optional)")]
    NoItems { path: String },
    #[error("{path}: no rows of answers")]
    NoPersons { path: String },
    #[error("{path}: {count} cells are not 0, 1 or empty:\n{listed}")]
    BadCells {
        path: String,
        count: usize,
        listed: String,
    },
}

/// The matrix and its labels.
#[derive(Debug)]
pub struct AnswerMatrix {
    pub items: Vec<String>,
    pub persons: Vec<String>,
    pub responses: Responses,
}

/// Reads `path`; every bad cell is named (line and column) before anything is fitted.
pub fn read_csv(path: &Path) -> Result<AnswerMatrix, MatrixError> {
    let shown = path.display().to_string();
    let read_error = |e: csv::Error| MatrixError::Read {
        path: shown.clone(),
        reason: e.to_string(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(read_error)?;
    let header: Vec<String> = reader
        .headers()
        .map_err(read_error)?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let id_column = header
        .iter()
        .position(|h| ID_COLUMNS.contains(&h.to_ascii_lowercase().as_str()));
    let item_columns: Vec<usize> = (0..header.len())
        .filter(|&c| Some(c) != id_column)
        .collect();
    if item_columns.is_empty() {
        return Err(MatrixError::NoItems { path: shown });
    }
    let mut rows = Vec::new();
    let mut persons = Vec::new();
    let mut bad = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(read_error)?;
        // Line numbers as an editor shows them: the header is line 1.
        let line = record.position().map_or(index as u64 + 2, |p| p.line());
        persons.push(match id_column {
            Some(c) => record.get(c).unwrap_or("").trim().to_string(),
            None => format!("{}", index + 1),
        });
        let mut row = Vec::with_capacity(item_columns.len());
        for &c in &item_columns {
            let cell = record.get(c).unwrap_or("").trim();
            row.push(match cell.to_ascii_lowercase().as_str() {
                "" | "na" | "nan" => None,
                "0" | "0.0" => Some(false),
                "1" | "1.0" => Some(true),
                _ => {
                    bad.push(format!("{shown}:{line}: {}: {cell:?}", header[c]));
                    None
                }
            });
        }
        rows.push(row);
    }
    if !bad.is_empty() {
        let count = bad.len();
        let mut listed = bad.into_iter().take(LISTED).collect::<Vec<_>>().join("\n");
        if count > LISTED {
            listed.push_str(&format!("\n... and {} more", count - LISTED));
        }
        return Err(MatrixError::BadCells {
            path: shown,
            count,
            listed,
        });
    }
    if rows.is_empty() {
        return Err(MatrixError::NoPersons { path: shown });
    }
    let items: Vec<String> = item_columns.iter().map(|&c| header[c].clone()).collect();
    let responses =
        Responses::new(items.len(), rows).ok_or(MatrixError::NoItems { path: shown })?;
    Ok(AnswerMatrix {
        items,
        persons,
        responses,
    })
}

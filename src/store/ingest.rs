//! Validated, all-or-nothing ingest of CSV, Parquet and NDJSON exports.
//!
//! Every file is first read by DuckDB's own reader into a temporary staging
//! table (so large files stream and parse at DuckDB's speed), then checked
//! column by column, for duplicate keys and for references. Only when nothing
//! is wrong are the rows written, in one transaction. The checks are generated
//! from [`TableSpec`]s, which is why this SQL is built here rather than kept
//! in `queries/`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::error::DbContext;
use super::tables::{self, ColumnSpec, ColumnType, TableKind, TableSpec};
use super::{Store, StoreError};

/// What the caller may steer.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Feed every file to this table instead of naming tables after files.
    pub table: Option<String>,
    /// Accept the demo generator's `truth_*` tables.
    pub allow_internal: bool,
    /// How many problems to list before only counting them.
    pub max_listed_problems: usize,
    /// Validate and count, but write nothing.
    pub check_only: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            table: None,
            allow_internal: false,
            max_listed_problems: 50,
            check_only: false,
        }
    }
}

/// Milestones, for a progress display.
#[derive(Debug, Clone)]
pub enum IngestEvent<'a> {
    Reading { file: &'a str },
    Read { file: &'a str, rows: u64 },
    Validating { table: &'static str, rows: u64 },
    Writing { table: &'static str, rows: u64 },
    Committed,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileOutcome {
    pub path: String,
    pub table: &'static str,
    pub rows_read: u64,
    /// Rows new to the database.
    pub added: u64,
    /// Dimension rows whose values changed (e.g. a corrected student name).
    pub updated: u64,
    /// Rows already stored exactly as given.
    pub unchanged: u64,
    /// Columns of the file that no table takes.
    pub ignored_columns: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IngestReport {
    pub files: Vec<FileOutcome>,
}

impl IngestReport {
    pub fn rows_added(&self) -> u64 {
        self.files.iter().map(|f| f.added).sum()
    }
}

/// Where in a file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Location {
    /// The file as a whole (unreadable, missing a column...).
    File,
    /// A physical line of a text file, 1-based, the header being line 1.
    Line(u64),
    /// A row of a Parquet file, 1-based.
    Row(u64),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub location: Location,
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        match self.location {
            Location::File => {}
            Location::Line(n) => write!(f, ":{n}")?,
            Location::Row(n) => write!(f, ":row {n}")?,
        }
        if let Some(column) = &self.column {
            write!(f, ": {column}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Everything wrong with a rejected input, listed up to a cap and counted in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectReport {
    pub problems: Vec<Problem>,
    pub total: u64,
}

impl fmt::Display for RejectReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.total == 1 {
            "problem"
        } else {
            "problems"
        };
        writeln!(f, "nothing was written: {} {noun} in the input", self.total)?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        let unlisted = self.total.saturating_sub(self.problems.len() as u64);
        if unlisted > 0 {
            writeln!(f, "  ... and {unlisted} more")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{}: {reason}", path.display())]
    Input { path: PathBuf, reason: String },
    #[error("{0}")]
    Rejected(RejectReport),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// The delimiter is `\t` for `.tsv`, else the one the header line uses most.
    Csv {
        delimiter: u8,
    },
    Parquet,
    Ndjson,
}

#[derive(Debug, Clone)]
struct InputFile {
    path: PathBuf,
    shown: String,
    table: &'static TableSpec,
    format: Format,
}

/// A file read into `typed_<index>`.
struct Staged {
    input: InputFile,
    typed: String,
    /// The DuckDB reader call for the file, all values as text where the format allows.
    reader: String,
    /// Spec column name -> the file's own spelling of it.
    columns: HashMap<&'static str, String>,
    /// Spec columns the file holds as text (CSV always; Parquet and JSON may be typed).
    text_columns: BTreeSet<&'static str>,
    rows: u64,
    /// Rows with a value that fails a check.
    bad_rows: u64,
    ignored_columns: Vec<String>,
    /// Record ordinals (header = 1) DuckDB's CSV reader could not parse, with why.
    rejected_records: Vec<(u64, Option<String>, String)>,
    /// Missing required columns or an unreadable file: no row checks then.
    usable: bool,
}

/// A column of the file as the checks see it.
struct Source {
    /// The quoted column name.
    column: String,
    /// Whether it arrives as text, to be parsed.
    text: bool,
}

/// Words for a bad value, given the value as written.
type Reason = Box<dyn Fn(&str) -> String>;

/// Where a found problem is, before it is turned into a line number.
#[derive(Debug, Clone, Copy)]
enum At {
    File,
    /// Row of the staging table (0-based).
    Row(u64),
    /// CSV record DuckDB's reader rejected, numbered from the header = 1.
    Record(u64),
}

/// A problem found by SQL, before its row is turned into a line number.
struct Found {
    file: usize,
    at: At,
    column: Option<String>,
    reason: String,
    /// For a duplicate: the (file, staged row) where the key was first given.
    first_given: Option<(usize, u64)>,
}

impl Found {
    fn new(file: usize, at: At, column: Option<String>, reason: String) -> Found {
        Found {
            file,
            at,
            column,
            reason,
            first_given: None,
        }
    }
}

/// Problems found so far: every one counted, the first `cap` of each check kept.
struct Findings {
    found: Vec<Found>,
    total: u64,
    cap: usize,
}

impl Findings {
    /// A problem with the file as a whole.
    fn file(&mut self, file: usize, column: Option<String>, reason: String) {
        self.total += 1;
        self.found.push(Found::new(file, At::File, column, reason));
    }

    /// A problem already counted by the query that found it.
    fn push(&mut self, found: Found) {
        self.found.push(found);
    }
}

/// One row of a check query.
struct Hit {
    file: usize,
    row: u64,
    detail: String,
    first: Option<(usize, u64)>,
}

const FORMATS: &str = ".csv, .tsv, .parquet, .ndjson or .jsonl (optionally .gz for text)";

impl Store {
    /// Validates `paths` (files or folders of files) and writes them in one
    /// transaction, or writes nothing and reports every problem found.
    pub fn ingest(
        &mut self,
        paths: &[PathBuf],
        options: &IngestOptions,
        progress: &mut dyn FnMut(IngestEvent<'_>),
    ) -> Result<IngestReport, IngestError> {
        self.require_write("ingest")?;
        let inputs = resolve_inputs(paths, options)?;
        let result = self.ingest_resolved(&inputs, options, progress);
        self.drop_temporaries();
        result
    }

    fn ingest_resolved(
        &mut self,
        inputs: &[InputFile],
        options: &IngestOptions,
        progress: &mut dyn FnMut(IngestEvent<'_>),
    ) -> Result<IngestReport, IngestError> {
        let cap = options.max_listed_problems.max(1);
        let mut findings = Findings {
            found: Vec::new(),
            total: 0,
            cap,
        };
        let mut staged = Vec::with_capacity(inputs.len());
        for (index, input) in inputs.iter().enumerate() {
            progress(IngestEvent::Reading { file: &input.shown });
            let s = self.stage(index, input, &mut findings)?;
            progress(IngestEvent::Read {
                file: &input.shown,
                rows: s.rows,
            });
            if s.bad_rows > 0 {
                self.check_columns(index, &s, &mut findings)?;
            }
            staged.push(s);
        }

        let mut by_table: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (index, s) in staged.iter().enumerate() {
            if s.usable {
                let order = tables::TABLES
                    .iter()
                    .position(|t| t.name == s.input.table.name)
                    .unwrap_or(usize::MAX);
                by_table.entry(order).or_default().push(index);
            }
        }
        // Tables in reference order, so that the rows a table refers to are
        // already known when it is checked.
        let mut planned: Vec<&'static TableSpec> = Vec::new();
        for files in by_table.values() {
            let table = staged[files[0]].input.table;
            let rows: u64 = files.iter().map(|&i| staged[i].rows).sum();
            progress(IngestEvent::Validating {
                table: table.name,
                rows,
            });
            self.create_typed_view(table, files, &staged)?;
            self.check_duplicates(table, &mut findings)?;
            self.check_references(table, &planned, &mut findings)?;
            if table.name == "skill_prereqs" {
                self.check_prereq_cycles(&mut findings)?;
            }
            self.match_stored(table)?;
            if table.kind == TableKind::Event {
                self.check_conflicts(table, &mut findings)?;
            }
            planned.push(table);
        }

        if findings.total > 0 {
            let problems = locate(findings.found, &staged, cap);
            return Err(IngestError::Rejected(RejectReport {
                problems,
                total: findings.total,
            }));
        }

        let mut outcomes: Vec<FileOutcome> = staged
            .iter()
            .map(|s| FileOutcome {
                path: s.input.shown.clone(),
                table: s.input.table.name,
                rows_read: s.rows,
                added: s.rows,
                updated: 0,
                unchanged: 0,
                ignored_columns: s.ignored_columns.clone(),
            })
            .collect();
        let mut any_matched = BTreeSet::new();
        for table in &planned {
            if self.count_matched(table, &mut outcomes)? {
                any_matched.insert(table.name);
            }
        }
        if !options.check_only {
            self.write(&planned, &any_matched, &outcomes, progress)?;
            progress(IngestEvent::Committed);
        }
        Ok(IngestReport { files: outcomes })
    }

    /// Reads one file with DuckDB's own reader straight into `typed_<index>`:
    /// every column converted to its stored type, and `__bad` marking rows
    /// with a value that fails a check. The file is read once on the happy path.
    fn stage(
        &self,
        index: usize,
        input: &InputFile,
        findings: &mut Findings,
    ) -> Result<Staged, IngestError> {
        let mut staged = Staged {
            input: input.clone(),
            typed: format!("typed_{index}"),
            reader: String::new(),
            columns: HashMap::new(),
            text_columns: BTreeSet::new(),
            rows: 0,
            bad_rows: 0,
            ignored_columns: Vec::new(),
            rejected_records: Vec::new(),
            usable: false,
        };
        let size = std::fs::metadata(&input.path)
            .map_err(|e| IngestError::Input {
                path: input.path.clone(),
                reason: format!("cannot read: {e}"),
            })?
            .len();
        if size == 0 {
            findings.file(
                index,
                None,
                "the file is empty (0 bytes): expected a header row or Parquet data".into(),
            );
            return Ok(staged);
        }
        let what = match input.format {
            Format::Csv { .. } => "CSV",
            Format::Parquet => "Parquet",
            Format::Ndjson => "NDJSON",
        };
        let unreadable = |findings: &mut Findings, e: duckdb::Error| {
            findings.file(
                index,
                None,
                format!("not readable as {what}: {}", first_line(&e.to_string())),
            );
        };

        let path = sql_string(&input.path.to_string_lossy());
        staged.reader = match input.format {
            // The dialect is fixed (RFC 4180 quoting, the header's delimiter
            // and names): DuckDB's sniffer, guessing from a malformed line, can
            // pick a dialect that misreads every good line instead.
            Format::Csv { delimiter } => {
                let dialect = format!(
                    "header = true, delim = {}, quote = '\"', escape = '\"'",
                    sql_string(&(delimiter as char).to_string())
                );
                match csv_header(&input.path, delimiter) {
                    Some(names) => {
                        let mut seen = BTreeSet::new();
                        if let Some(twice) =
                            names.iter().find(|n| !seen.insert(n.to_ascii_lowercase()))
                        {
                            findings.file(
                                index,
                                None,
                                format!("column '{twice}' appears twice in the header"),
                            );
                            return Ok(staged);
                        }
                        let columns: Vec<String> = names
                            .iter()
                            .map(|n| format!("{}: 'VARCHAR'", sql_string(n)))
                            .collect();
                        format!(
                            "read_csv({path}, auto_detect = false, {dialect}, columns = {{{}}})",
                            columns.join(", ")
                        )
                    }
                    // Compressed or unreadable here: let DuckDB find the header.
                    None => format!("read_csv({path}, all_varchar = true, {dialect})"),
                }
            }
            Format::Parquet => format!("read_parquet({path})"),
            Format::Ndjson => {
                // Sniff the names, then read every value as text so one odd
                // value is a row problem instead of a failed read.
                let names = match self
                    .describe(&format!("read_json({path}, format = 'newline_delimited')"))
                {
                    Ok(columns) => columns.into_iter().map(|(name, _)| name),
                    Err(e) => {
                        unreadable(findings, e);
                        return Ok(staged);
                    }
                };
                let columns: Vec<String> = names
                    .map(|n| format!("{}: 'VARCHAR'", sql_string(&n)))
                    .collect();
                format!(
                    "read_json({path}, format = 'newline_delimited', columns = {{{}}})",
                    columns.join(", ")
                )
            }
        };
        // Rows DuckDB cannot parse at all are set aside (and reported) rather than failing the read.
        let reading = match input.format {
            Format::Csv { .. } => with_options(
                &staged.reader,
                &format!(
                    "store_rejects = true, rejects_scan = 'typed_{index}_scan', \
                     rejects_table = 'typed_{index}_rejects'"
                ),
            ),
            _ => staged.reader.clone(),
        };
        let described = match self.describe(&reading) {
            Ok(columns) => columns,
            Err(e) => {
                unreadable(findings, e);
                return Ok(staged);
            }
        };
        for (name, ty) in described {
            let wanted = name.trim().to_ascii_lowercase();
            match input.table.columns.iter().find(|c| c.name == wanted) {
                Some(c) if !staged.columns.contains_key(c.name) => {
                    if ty == "VARCHAR" || ty == "JSON" {
                        staged.text_columns.insert(c.name);
                    }
                    staged.columns.insert(c.name, name);
                }
                Some(c) => findings.file(index, None, format!("column '{}' appears twice", c.name)),
                None => staged.ignored_columns.push(name),
            }
        }
        let required: Vec<&str> = input.table.required_columns().map(|c| c.name).collect();
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| !staged.columns.contains_key(c))
            .collect();
        for column in &missing {
            let reason = format!(
                "missing column (the {} table needs {})",
                input.table.name,
                required.join(", ")
            );
            findings.file(index, Some(column.to_string()), reason);
        }
        if !missing.is_empty() {
            return Ok(staged);
        }

        let (parse, select, bad) = typed_projection(input.table, &staged);
        let create = format!(
            "CREATE TEMP TABLE {} AS SELECT {select}, ({bad}) AS __bad FROM (SELECT {parse} FROM {reading})",
            staged.typed
        );
        if let Err(e) = self.conn().execute_batch(&create) {
            unreadable(findings, e);
            return Ok(staged);
        }
        let (rows, bad_rows): (i64, i64) = self
            .conn()
            .query_row(
                &format!(
                    "SELECT count(*), count(*) FILTER (WHERE __bad) FROM {}",
                    staged.typed
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .context(format!("counting rows of {}", input.shown))?;
        staged.rows = rows.max(0) as u64;
        staged.bad_rows = bad_rows.max(0) as u64;

        if matches!(input.format, Format::Csv { .. }) {
            staged.rejected_records = self.csv_rejects(&staged.typed)?;
            for (record, column, reason) in &staged.rejected_records {
                findings.total += 1;
                findings.push(Found::new(
                    index,
                    At::Record(*record),
                    column.clone(),
                    reason.clone(),
                ));
            }
        }
        staged.usable = true;
        Ok(staged)
    }

    /// Column names and types of a relation, as DuckDB's reader sniffs them.
    fn describe(&self, relation: &str) -> Result<Vec<(String, String)>, duckdb::Error> {
        let mut stmt = self
            .conn()
            .prepare(&format!("DESCRIBE SELECT * FROM {relation}"))?;
        let columns =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        columns.collect()
    }

    fn csv_rejects(&self, stage: &str) -> Result<Vec<(u64, Option<String>, String)>, StoreError> {
        let exists: bool = self
            .conn()
            .query_row(
                "SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = ? AND temporary",
                [format!("{stage}_rejects")],
                |r| r.get(0),
            )
            .context("looking for rejected CSV lines")?;
        if !exists {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn()
            .prepare(&format!(
                "SELECT line, column_name, CAST(error_type AS VARCHAR), error_message FROM {stage}_rejects ORDER BY line"
            ))
            .context("reading rejected CSV lines")?;
        let rows = stmt
            .query_map([], |r| {
                let line: i64 = r.get(0)?;
                let column: Option<String> = r.get(1)?;
                let kind: String = r.get(2)?;
                let message: String = r.get(3)?;
                Ok((
                    line.max(0) as u64,
                    column,
                    csv_reject_reason(&kind, &message),
                ))
            })
            .context("reading rejected CSV lines")?;
        rows.collect::<Result<Vec<_>, _>>()
            .context("reading rejected CSV lines")
    }

    /// Per-value checks: missing, unparseable, out of range. Only run when the
    /// typed read marked bad rows: the file is read again, as written, to
    /// quote the bad values. Rows line up with `typed_<index>` because the
    /// same reader skips the same unparseable records.
    fn check_columns(
        &self,
        index: usize,
        staged: &Staged,
        findings: &mut Findings,
    ) -> Result<(), StoreError> {
        let raw = format!("raw_{index}");
        let reader = match staged.input.format {
            // Skips the same unparseable records as the first read did.
            Format::Csv { .. } => with_options(&staged.reader, "ignore_errors = true"),
            _ => staged.reader.clone(),
        };
        self.conn()
            .execute_batch(&format!(
                "CREATE TEMP TABLE {raw} AS SELECT * FROM {reader}"
            ))
            .context(format!(
                "re-reading {} to quote its bad values",
                staged.input.shown
            ))?;
        for spec in staged.input.table.columns {
            let Some(actual) = staged.columns.get(spec.name) else {
                continue;
            };
            let source = Source {
                column: ident(actual),
                text: staged.text_columns.contains(spec.name),
            };
            let value = typed_expr(spec.ty, &source);
            for (condition, reason) in value_checks(spec, &source, &value) {
                let sql = format!(
                    "SELECT {index}, rowid, left(CAST({column} AS VARCHAR), 60), NULL::BIGINT, NULL::BIGINT,
                            count(*) OVER ()
                     FROM {raw} WHERE {condition} ORDER BY rowid LIMIT {cap}",
                    column = source.column,
                    cap = findings.cap,
                );
                let context = format!("checking {} in {}", spec.name, staged.input.shown);
                for hit in self.hits(&sql, &context, findings)? {
                    let reason = reason(&hit.detail);
                    findings.push(Found::new(
                        hit.file,
                        At::Row(hit.row),
                        Some(spec.name.to_string()),
                        reason,
                    ));
                }
            }
        }
        self.conn()
            .execute_batch(&format!("DROP TABLE {raw}"))
            .context("freeing a re-read file")
    }

    /// Runs a check whose rows are `(file, row, detail, first file, first row,
    /// total)`, counts every hit and returns the first `cap`.
    fn hits(
        &self,
        sql: &str,
        context: &str,
        findings: &mut Findings,
    ) -> Result<Vec<Hit>, StoreError> {
        let mut stmt = self.conn().prepare(sql).context(context)?;
        let rows = stmt
            .query_map([], |r| {
                let first_file: Option<i64> = r.get(3)?;
                let first_row: Option<i64> = r.get(4)?;
                Ok((
                    Hit {
                        file: r.get::<_, i64>(0)?.max(0) as usize,
                        row: r.get::<_, i64>(1)?.max(0) as u64,
                        detail: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        first: first_file
                            .zip(first_row)
                            .map(|(f, r)| (f.max(0) as usize, r.max(0) as u64)),
                    },
                    r.get::<_, i64>(5)?.max(0) as u64,
                ))
            })
            .context(context)?;
        let rows = rows.collect::<Result<Vec<_>, _>>().context(context)?;
        findings.total += rows.first().map(|(_, total)| *total).unwrap_or(0);
        Ok(rows.into_iter().map(|(hit, _)| hit).collect())
    }

    /// `typed_<table>`: the rows of all files for a table, with where each came from.
    fn create_typed_view(
        &self,
        table: &TableSpec,
        files: &[usize],
        staged: &[Staged],
    ) -> Result<(), StoreError> {
        let columns: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        let columns = columns.join(", ");
        let selects: Vec<String> = files
            .iter()
            .map(|&i| {
                format!(
                    "SELECT {i} AS __file, rowid AS __row, {columns} FROM {}",
                    staged[i].typed
                )
            })
            .collect();
        let sql = format!(
            "CREATE TEMP VIEW typed_{} AS {}",
            table.name,
            selects.join(" UNION ALL ")
        );
        self.conn()
            .execute_batch(&sql)
            .context(format!("gathering the {} rows", table.name))
    }

    fn check_duplicates(
        &self,
        table: &TableSpec,
        findings: &mut Findings,
    ) -> Result<(), StoreError> {
        let keys = table.key.join(", ");
        let not_null: Vec<String> = table
            .key
            .iter()
            .map(|k| format!("{k} IS NOT NULL"))
            .collect();
        let not_null = not_null.join(" AND ");
        let context = format!("looking for duplicate keys in {}", table.name);
        // A cheap aggregate first: the ranked listing only when there is something to list.
        let any: bool = self
            .conn()
            .query_row(
                &format!(
                    "SELECT count(*) > 0 FROM (SELECT 1 FROM typed_{} WHERE {not_null} GROUP BY {keys} HAVING count(*) > 1)",
                    table.name
                ),
                [],
                |r| r.get(0),
            )
            .context(&context)?;
        if !any {
            return Ok(());
        }
        let shown: Vec<String> = table
            .key
            .iter()
            .map(|k| format!("CAST({k} AS VARCHAR)"))
            .collect();
        let sql = format!(
            "SELECT __file, __row, concat_ws(', ', {shown}), first_file, first_row, count(*) OVER () FROM (
                SELECT *, row_number() OVER w AS n, first_value(__file) OVER w AS first_file,
                       first_value(__row) OVER w AS first_row
                FROM typed_{table} WHERE {not_null}
                WINDOW w AS (PARTITION BY {keys} ORDER BY __file, __row)
             ) WHERE n > 1 ORDER BY __file, __row LIMIT {cap}",
            shown = shown.join(", "),
            table = table.name,
            cap = findings.cap,
        );
        for hit in self.hits(&sql, &context, findings)? {
            findings.push(Found {
                first_given: hit.first,
                ..Found::new(
                    hit.file,
                    At::Row(hit.row),
                    Some(keys.clone()),
                    format!("duplicate key ({})", hit.detail),
                )
            });
        }
        Ok(())
    }

    /// Prerequisites stored and given must not go round in a circle: the
    /// learning path could not order them. Names the cycle on the given row
    /// that closes it.
    fn check_prereq_cycles(&self, findings: &mut Findings) -> Result<(), StoreError> {
        let context = "checking skill prerequisites for cycles";
        let given: Vec<(String, String, i64, i64)> = self.rows(
            "SELECT skill_id, prereq_id, __file, __row FROM typed_skill_prereqs
             WHERE skill_id IS NOT NULL AND prereq_id IS NOT NULL ORDER BY __file, __row",
            [],
            context,
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let mut edges: Vec<(String, String)> = self.rows(
            "SELECT skill_id, prereq_id FROM skill_prereqs",
            [],
            context,
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        edges.extend(given.iter().map(|g| (g.0.clone(), g.1.clone())));
        let Some(cycle) = crate::recommend::path::cycle_in(&edges) else {
            return Ok(());
        };
        let in_cycle = |a: &str, b: &str| cycle.windows(2).any(|w| w[0] == a && w[1] == b);
        let closing = given.iter().rev().find(|g| in_cycle(&g.0, &g.1));
        let reason = format!(
            "makes the prerequisites circular: {}; a learning path needs each skill after its prerequisites",
            cycle.join(" needs ")
        );
        findings.total += 1;
        findings.push(match closing {
            Some(g) => Found::new(
                g.2.max(0) as usize,
                At::Row(g.3.max(0) as u64),
                Some("prereq_id".to_string()),
                reason,
            ),
            None => Found::new(0, At::File, None, reason),
        });
        Ok(())
    }

    fn check_references(
        &self,
        table: &TableSpec,
        planned: &[&'static TableSpec],
        findings: &mut Findings,
    ) -> Result<(), StoreError> {
        for column in table.columns {
            let Some((target, target_column)) = column.references else {
                continue;
            };
            let mut known = format!("SELECT {target_column} AS k FROM {target}");
            if planned.iter().any(|t| t.name == target) {
                known.push_str(&format!(
                    " UNION ALL SELECT {target_column} FROM typed_{target}"
                ));
            }
            let sql = format!(
                "SELECT __file, __row, {c}, NULL::BIGINT, NULL::BIGINT, count(*) OVER () FROM typed_{t} s
                 WHERE {c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ({known}) r WHERE r.k = s.{c})
                 ORDER BY __file, __row LIMIT {cap}",
                c = column.name,
                t = table.name,
                cap = findings.cap,
            );
            let context = format!("checking {}.{} against {target}", table.name, column.name);
            let singular = target.strip_suffix('s').unwrap_or(target).replace('_', " ");
            for hit in self.hits(&sql, &context, findings)? {
                let reason = format!(
                    "unknown {singular} '{}' (not in the files given nor in the database)",
                    hit.detail
                );
                findings.push(Found::new(
                    hit.file,
                    At::Row(hit.row),
                    Some(column.name.to_string()),
                    reason,
                ));
            }
        }
        Ok(())
    }

    /// `matched_<table>`: the given rows whose key is already stored, and
    /// whether their values differ from the stored ones.
    fn match_stored(&self, table: &TableSpec) -> Result<(), StoreError> {
        let on: Vec<String> = table.key.iter().map(|k| format!("s.{k} = e.{k}")).collect();
        let differs: Vec<String> = non_key_columns(table)
            .map(|c| format!("s.{n} IS DISTINCT FROM e.{n}", n = c.name))
            .collect();
        let changed = if differs.is_empty() {
            "false".to_string()
        } else {
            differs.join(" OR ")
        };
        let sql = format!(
            "CREATE TEMP TABLE matched_{t} AS
             SELECT s.__file, s.__row, ({changed}) AS __changed FROM typed_{t} s JOIN {t} e ON {on}",
            t = table.name,
            on = on.join(" AND ")
        );
        self.conn()
            .execute_batch(&sql)
            .context(format!("comparing {} with the database", table.name))
    }

    /// An event already stored under the same key with other values is a
    /// correction we cannot tell from a mistake: refuse it.
    fn check_conflicts(
        &self,
        table: &TableSpec,
        findings: &mut Findings,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT __file, __row, NULL::VARCHAR, NULL::BIGINT, NULL::BIGINT, count(*) OVER ()
             FROM matched_{} WHERE __changed ORDER BY __file, __row LIMIT {}",
            table.name, findings.cap
        );
        let context = format!("looking for conflicts in {}", table.name);
        let reason = format!(
            "the database already holds a {} row with this key and different values",
            table.name
        );
        for hit in self.hits(&sql, &context, findings)? {
            findings.push(Found::new(
                hit.file,
                At::Row(hit.row),
                Some(table.key.join(", ")),
                reason.clone(),
            ));
        }
        Ok(())
    }

    /// Splits each file's rows into added, updated and unchanged; says
    /// whether any row of the table was already stored.
    fn count_matched(
        &self,
        table: &TableSpec,
        outcomes: &mut [FileOutcome],
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT __file, count(*) FILTER (WHERE __changed), count(*) FILTER (WHERE NOT __changed)
             FROM matched_{} GROUP BY __file",
            table.name
        );
        let context = format!("counting new rows of {}", table.name);
        let mut stmt = self.conn().prepare(&sql).context(&context)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .context(&context)?;
        let mut any = false;
        for row in rows {
            let (file, updated, unchanged) = row.context(&context)?;
            if let Some(o) = outcomes.get_mut(file.max(0) as usize) {
                o.updated = updated.max(0) as u64;
                o.unchanged = unchanged.max(0) as u64;
                o.added = o.rows_read.saturating_sub(o.updated + o.unchanged);
                any = true;
            }
        }
        Ok(any)
    }

    fn write(
        &mut self,
        planned: &[&'static TableSpec],
        any_matched: &BTreeSet<&str>,
        outcomes: &[FileOutcome],
        progress: &mut dyn FnMut(IngestEvent<'_>),
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction()
            .context("starting the ingest transaction")?;
        for table in planned {
            let rows: u64 = outcomes
                .iter()
                .filter(|o| o.table == table.name)
                .map(|o| o.added + o.updated)
                .sum();
            progress(IngestEvent::Writing {
                table: table.name,
                rows,
            });
            if rows == 0 {
                continue;
            }
            let columns: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
            let columns = columns.join(", ");
            let t = table.name;
            let sql = match table.kind {
                // The anti-join only when something was already stored: a fresh
                // load is a plain append.
                TableKind::Event if any_matched.contains(t) => format!(
                    "INSERT INTO {t} ({columns}) SELECT {columns} FROM typed_{t} s
                     WHERE NOT EXISTS (SELECT 1 FROM matched_{t} m WHERE m.__file = s.__file AND m.__row = s.__row)"
                ),
                TableKind::Event => format!("INSERT INTO {t} ({columns}) SELECT {columns} FROM typed_{t}"),
                TableKind::Dimension => {
                    let updates: Vec<String> =
                        non_key_columns(table).map(|c| format!("{n} = excluded.{n}", n = c.name)).collect();
                    let action = if updates.is_empty() {
                        "DO NOTHING".to_string()
                    } else {
                        format!("DO UPDATE SET {}", updates.join(", "))
                    };
                    format!(
                        "INSERT INTO {t} ({columns}) SELECT {columns} FROM typed_{t} s
                         WHERE NOT EXISTS (SELECT 1 FROM matched_{t} m
                                           WHERE m.__file = s.__file AND m.__row = s.__row AND NOT m.__changed)
                         ON CONFLICT ({keys}) {action}",
                        keys = table.key.join(", ")
                    )
                }
            };
            tx.execute_batch(&sql).context(format!("writing {t}"))?;
        }
        let activity: Vec<String> = planned
            .iter()
            .filter(|t| ACTIVITY_TABLES.contains(&t.name))
            .map(|t| {
                format!(
                    "SELECT DISTINCT student_id, date_trunc('week', time) AS week FROM typed_{}",
                    t.name
                )
            })
            .collect();
        if !activity.is_empty() {
            tx.execute_batch(&format!(
                "CREATE OR REPLACE TEMP TABLE touched_weeks AS {};
                 {}
                 {}",
                activity.join(" UNION "),
                include_str!("../../queries/derived/activity_weekly_clear.sql"),
                include_str!("../../queries/derived/activity_weekly_fill.sql"),
            ))
            .context("summarising the new activity by week")?;
        }
        for o in outcomes {
            tx.execute(
                "INSERT INTO ingest_log VALUES (current_timestamp::TIMESTAMP, ?, ?, ?, ?, ?)",
                duckdb::params![o.path, o.table, o.rows_read, o.added, o.updated],
            )
            .context("recording the ingest")?;
        }
        tx.commit().context("committing the ingest")
    }

    /// Drops this ingest's temporary views and tables; they would vanish with
    /// the connection anyway, so failures are ignored.
    fn drop_temporaries(&self) {
        for (kind, catalog) in [("VIEW", "duckdb_views()"), ("TABLE", "duckdb_tables()")] {
            let column = if kind == "VIEW" {
                "view_name"
            } else {
                "table_name"
            };
            let names: Vec<String> = self
                .conn()
                .prepare(&format!("SELECT {column} FROM {catalog} WHERE temporary"))
                .and_then(|mut stmt| stmt.query_map([], |r| r.get::<_, String>(0))?.collect())
                .unwrap_or_default();
            for name in names {
                let _ = self
                    .conn()
                    .execute_batch(&format!("DROP {kind} IF EXISTS temp.{}", ident(&name)));
            }
        }
    }
}

/// The SQL that turns a file's rows into `typed_<n>`: an inner projection
/// that parses each value once (`parse`), the stored columns with their
/// defaults (`select`), and the suspect-row flag (`bad`).
/// The event tables that `activity_weekly` summarises.
const ACTIVITY_TABLES: [&str; 2] = ["responses", "views"];

fn typed_projection(table: &TableSpec, staged: &Staged) -> (String, String, String) {
    let mut parse = Vec::new();
    let mut select = Vec::new();
    let mut bad = Vec::new();
    for (k, spec) in table.columns.iter().enumerate() {
        let stored = match staged.columns.get(spec.name) {
            Some(actual) => {
                let source = Source {
                    column: ident(actual),
                    text: staged.text_columns.contains(spec.name),
                };
                let (raw, value) = (format!("__raw_{k}"), format!("__value_{k}"));
                parse.push(format!("{} AS {raw}", source.column));
                parse.push(format!("{} AS {value}", typed_expr(spec.ty, &source)));
                bad.push(format!("({})", suspect(spec, &raw, &value)));
                stored_expr(spec.ty, &value)
            }
            None => format!("CAST(NULL AS {})", stored_type(spec.ty)),
        };
        match default_value(table.name, spec.name) {
            Some(default) => select.push(format!("coalesce({stored}, {default}) AS {}", spec.name)),
            None => select.push(format!("{stored} AS {}", spec.name)),
        }
    }
    let bad = if bad.is_empty() {
        "false".to_string()
    } else {
        bad.join(" OR ")
    };
    (parse.join(", "), select.join(", "), bad)
}

/// A cheap condition, true for every value that [`value_checks`] might
/// refuse (and a few it accepts, like a blank optional number): no string
/// work, so it can run over every row of a large file.
fn suspect(spec: &ColumnSpec, raw: &str, value: &str) -> String {
    let missing = if spec.required {
        format!("{raw} IS NULL OR ")
    } else {
        String::new()
    };
    match spec.ty {
        ColumnType::Id | ColumnType::OneOf(_) if spec.required => format!("{value} IS NULL"),
        ColumnType::Text if spec.required => format!("{value} IS NULL OR {value} = ''"),
        ColumnType::Id | ColumnType::Text => "false".to_string(),
        ColumnType::OneOf(allowed) => {
            let list: Vec<String> = allowed.iter().map(|a| sql_string(a)).collect();
            format!("{value} NOT IN ({})", list.join(", "))
        }
        ColumnType::Count { min } => {
            format!(
                "{missing}({value} IS NULL AND {raw} IS NOT NULL) OR {value} <> floor({value}) OR {value} < {min}"
            )
        }
        ColumnType::Number { min } => {
            let below = min
                .map(|m| format!(" OR {value} < {m}"))
                .unwrap_or_default();
            format!(
                "{missing}({value} IS NULL AND {raw} IS NOT NULL) OR NOT isfinite({value}){below}"
            )
        }
        ColumnType::Flag01 => {
            format!("{missing}({value} IS NULL AND {raw} IS NOT NULL) OR {value} NOT IN (0, 1)")
        }
        ColumnType::Bool | ColumnType::Timestamp | ColumnType::Date => {
            format!("{missing}({value} IS NULL AND {raw} IS NOT NULL)")
        }
    }
}

/// The checks of one column's values: an SQL condition true for a bad value,
/// and the words for it.
fn value_checks(spec: &ColumnSpec, source: &Source, value: &str) -> Vec<(String, Reason)> {
    let column = &source.column;
    // Free text is kept as written, blanks and all; anything parsed is
    // missing when there is nothing but blanks to parse.
    let blank = match spec.ty {
        ColumnType::Text => format!("({column} IS NULL OR {column} = '')"),
        _ if source.text => format!("({column} IS NULL OR trim({column}) = '')"),
        _ => format!("({column} IS NULL)"),
    };
    let present = format!("{value} IS NOT NULL");
    let mut checks: Vec<(String, Reason)> = Vec::new();
    if spec.required {
        checks.push((blank.clone(), Box::new(|_| "missing value".to_string())));
    }
    if !matches!(
        spec.ty,
        ColumnType::Id | ColumnType::Text | ColumnType::OneOf(_)
    ) {
        let ty = spec.ty;
        checks.push((
            format!("NOT {blank} AND {value} IS NULL"),
            Box::new(move |raw| format!("'{raw}' is not {}", type_description(ty))),
        ));
    }
    match spec.ty {
        ColumnType::Count { min } => {
            checks.push((
                format!("{present} AND {value} <> floor({value})"),
                Box::new(|raw| format!("'{raw}' is not a whole number")),
            ));
            checks.push((
                format!("{present} AND {value} < {min}"),
                Box::new(move |raw| format!("'{raw}' must be at least {min}")),
            ));
        }
        ColumnType::Number { min } => {
            checks.push((
                format!("{present} AND NOT isfinite({value})"),
                Box::new(|raw| format!("'{raw}' is not a finite number")),
            ));
            if let Some(min) = min {
                checks.push((
                    format!("{present} AND isfinite({value}) AND {value} < {min}"),
                    Box::new(move |raw| format!("'{raw}' must be at least {min}")),
                ));
            }
        }
        ColumnType::Flag01 => checks.push((
            format!("{present} AND {value} NOT IN (0, 1)"),
            Box::new(|raw| format!("'{raw}' must be 0 or 1")),
        )),
        ColumnType::OneOf(allowed) => {
            let list: Vec<String> = allowed.iter().map(|a| sql_string(a)).collect();
            checks.push((
                format!("NOT {blank} AND {value} NOT IN ({})", list.join(", ")),
                Box::new(move |raw| format!("'{raw}' is not one of {}", allowed.join(", "))),
            ));
        }
        _ => {}
    }
    checks
}

fn non_key_columns(table: &TableSpec) -> impl Iterator<Item = &ColumnSpec> {
    table
        .columns
        .iter()
        .filter(|c| !table.key.contains(&c.name))
}

/// Defaults the schema gives, applied to absent or empty optional values.
fn default_value(table: &str, column: &str) -> Option<&'static str> {
    match (table, column) {
        ("responses", "attempt") => Some("1"),
        ("views", "completed") => Some("false"),
        ("skills", "description") | ("items", "text") | ("resources", "description") => Some("''"),
        _ => None,
    }
}

/// The value as checked: numbers as DOUBLE so range and wholeness can be tested.
/// Text is trimmed and parsed; values a Parquet or JSON file already types are cast.
fn typed_expr(ty: ColumnType, source: &Source) -> String {
    let column = &source.column;
    let text = format!("CAST({column} AS VARCHAR)");
    // DuckDB's casts from text allow surrounding blanks and give NULL for
    // empty text, so numbers and times need no trim (which copies every value).
    let parsed = |target: &str| format!("TRY_CAST({column} AS {target})");
    match ty {
        // Trim only values that have blanks to trim.
        ColumnType::Id if source.text => format!(
            "CASE WHEN {column} LIKE ' %' OR {column} LIKE '% ' OR {column} LIKE '%\t%'
                  THEN NULLIF(trim({column}, ' \t'), '') ELSE NULLIF({column}, '') END"
        ),
        ColumnType::Id => format!("NULLIF(trim({text}), '')"),
        ColumnType::Text => text,
        ColumnType::Count { .. } | ColumnType::Number { .. } | ColumnType::Flag01 => {
            parsed("DOUBLE")
        }
        ColumnType::Bool => parsed("BOOLEAN"),
        // A time with an offset ("Z", "+02:00", "...:00-05:00") goes through
        // TIMESTAMPTZ, which moves it to UTC; a plain cast would drop the offset.
        ColumnType::Timestamp if source.text => format!(
            "CASE WHEN {column} LIKE '%+%' OR {column} LIKE '%Z%' OR {column} LIKE '%:%-%'
                  THEN TRY_CAST({} AS TIMESTAMP) ELSE {} END",
            parsed("TIMESTAMPTZ"),
            parsed("TIMESTAMP")
        ),
        ColumnType::Timestamp => parsed("TIMESTAMP"),
        ColumnType::Date => parsed("DATE"),
        ColumnType::OneOf(_) => format!("lower(trim({text}))"),
    }
}

/// The value as stored, from the value as checked.
fn stored_expr(ty: ColumnType, value: &str) -> String {
    match ty {
        ColumnType::Count { .. } => format!("TRY_CAST({value} AS BIGINT)"),
        ColumnType::Flag01 => format!("TRY_CAST({value} AS UTINYINT)"),
        _ => value.to_string(),
    }
}

fn stored_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Id | ColumnType::Text | ColumnType::OneOf(_) => "VARCHAR",
        ColumnType::Count { .. } => "BIGINT",
        ColumnType::Number { .. } => "DOUBLE",
        ColumnType::Flag01 => "UTINYINT",
        ColumnType::Bool => "BOOLEAN",
        ColumnType::Timestamp => "TIMESTAMP",
        ColumnType::Date => "DATE",
    }
}

fn type_description(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Count { .. } => "a whole number",
        ColumnType::Number { .. } => "a number",
        ColumnType::Flag01 => "0 or 1",
        ColumnType::Bool => "true or false",
        ColumnType::Timestamp => {
            "a date and time (like 2026-02-02T08:15:00, optionally with Z or +01:00)"
        }
        ColumnType::Date => "a date (like 2026-02-02)",
        ColumnType::Id | ColumnType::Text | ColumnType::OneOf(_) => "text",
    }
}

fn csv_reject_reason(kind: &str, message: &str) -> String {
    match kind {
        "INVALID ENCODING" | "INVALID UNICODE" => {
            "the line is not valid UTF-8: re-export the file as UTF-8".to_string()
        }
        "TOO MANY COLUMNS" => format!("too many fields ({})", message.trim()),
        "MISSING COLUMNS" => format!("too few fields ({})", message.trim()),
        "UNQUOTED VALUE" => format!("badly quoted value ({})", message.trim()),
        _ => first_line(message),
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

/// A reader call `read_x(...)` with more options.
fn with_options(reader: &str, options: &str) -> String {
    let call = reader.strip_suffix(')').unwrap_or(reader);
    format!("{call}, {options})")
}

/// A SQL string literal.
pub(crate) fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A quoted SQL identifier.
pub(crate) fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn resolve_inputs(
    paths: &[PathBuf],
    options: &IngestOptions,
) -> Result<Vec<InputFile>, IngestError> {
    let forced = match &options.table {
        Some(name) => {
            let table = tables::table(name)
                .filter(|t| options.allow_internal || !t.internal)
                .ok_or_else(|| IngestError::Input {
                    path: PathBuf::from(name),
                    reason: format!("no such table; tables are {}", public_tables().join(", ")),
                })?;
            Some(table)
        }
        None => None,
    };
    if paths.is_empty() {
        return Err(IngestError::Input {
            path: PathBuf::from("."),
            reason: "no files given: name files or folders to ingest".into(),
        });
    }
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| IngestError::Input {
            path: path.clone(),
            reason: format!("cannot read: {e}"),
        })?;
        if meta.is_dir() {
            let mut entries: Vec<(PathBuf, Format)> = std::fs::read_dir(path)
                .map_err(|e| IngestError::Input {
                    path: path.clone(),
                    reason: format!("cannot list: {e}"),
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && !is_hidden(p))
                .filter_map(|p| format_of(&p).map(|format| (p, format)))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            if entries.is_empty() {
                return Err(IngestError::Input {
                    path: path.clone(),
                    reason: format!("the folder holds no {FORMATS} files"),
                });
            }
            for (entry, format) in entries {
                files.push(input_file(entry, format, forced, options)?);
            }
        } else {
            let format = format_of(path).ok_or_else(|| IngestError::Input {
                path: path.clone(),
                reason: format!("cannot tell the format from the name: use {FORMATS}"),
            })?;
            files.push(input_file(path.clone(), format, forced, options)?);
        }
    }
    let mut seen = BTreeSet::new();
    files.retain(|f| seen.insert(f.path.canonicalize().unwrap_or_else(|_| f.path.clone())));
    Ok(files)
}

fn input_file(
    path: PathBuf,
    format: Format,
    forced: Option<&'static TableSpec>,
    options: &IngestOptions,
) -> Result<InputFile, IngestError> {
    let table = match forced {
        Some(t) => t,
        None => {
            let stem = data_stem(&path);
            tables::table_for_file_stem(&stem, options.allow_internal).ok_or_else(|| IngestError::Input {
                path: path.clone(),
                reason: format!(
                    "no table is named like this file; name it after one of {} (e.g. responses.csv, responses-week3.csv) or pass --table",
                    public_tables().join(", ")
                ),
            })?
        }
    };
    let shown = path.display().to_string();
    Ok(InputFile {
        path,
        shown,
        table,
        format,
    })
}

fn public_tables() -> Vec<&'static str> {
    tables::TABLES
        .iter()
        .filter(|t| !t.internal)
        .map(|t| t.name)
        .collect()
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// The file name without its format extensions: `responses.csv.gz` -> `responses`.
fn data_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
    for ext in [".csv", ".tsv", ".parquet", ".ndjson", ".jsonl"] {
        if let Some(stem) = lower.strip_suffix(ext) {
            return stem.to_string();
        }
    }
    lower.to_string()
}

/// The format a file's name announces.
fn format_of(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".csv") {
        Some(Format::Csv {
            delimiter: sniff_delimiter(path),
        })
    } else if name.ends_with(".tsv") {
        Some(Format::Csv { delimiter: b'\t' })
    } else if name.ends_with(".parquet") && !path.to_string_lossy().ends_with(".gz") {
        Some(Format::Parquet)
    } else if name.ends_with(".ndjson") || name.ends_with(".jsonl") {
        Some(Format::Ndjson)
    } else {
        None
    }
}

/// Turns staged row numbers into the lines a person sees in an editor, sorts,
/// and keeps the first `cap`.
fn locate(found: Vec<Found>, staged: &[Staged], cap: usize) -> Vec<Problem> {
    let mut rows_wanted: HashMap<usize, BTreeSet<u64>> = HashMap::new();
    let mut records_wanted: HashMap<usize, BTreeSet<u64>> = HashMap::new();
    for f in &found {
        match f.at {
            At::Row(row) => {
                rows_wanted.entry(f.file).or_default().insert(row);
            }
            At::Record(record) => {
                records_wanted.entry(f.file).or_default().insert(record);
            }
            At::File => {}
        }
        if let Some((file, row)) = f.first_given {
            rows_wanted.entry(file).or_default().insert(row);
        }
    }
    let mut row_place: HashMap<(usize, u64), Location> = HashMap::new();
    let mut record_place: HashMap<(usize, u64), Location> = HashMap::new();
    for (file, s) in staged.iter().enumerate() {
        let rows = rows_wanted.remove(&file).unwrap_or_default();
        let records = records_wanted.remove(&file).unwrap_or_default();
        if rows.is_empty() && records.is_empty() {
            continue;
        }
        match s.input.format {
            Format::Parquet => {
                for row in rows {
                    row_place.insert((file, row), Location::Row(row + 1));
                }
            }
            Format::Ndjson => {
                let lines = ndjson_lines(&s.input.path, rows.iter().copied().max().unwrap_or(0));
                for row in rows {
                    let line = lines.get(row as usize).copied();
                    row_place.insert(
                        (file, row),
                        line.map(Location::Line).unwrap_or(Location::Row(row + 1)),
                    );
                }
            }
            Format::Csv { delimiter } => {
                // Staged row k is the k-th record DuckDB accepted; the records it
                // rejected are not in the staging table.
                let rejected: BTreeSet<u64> = s.rejected_records.iter().map(|r| r.0).collect();
                let mut record_of_row = HashMap::new();
                if let Some(&last) = rows.iter().next_back() {
                    let (mut row, mut record) = (0u64, 2u64);
                    while row <= last {
                        if !rejected.contains(&record) {
                            if rows.contains(&row) {
                                record_of_row.insert(row, record);
                            }
                            row += 1;
                        }
                        record += 1;
                    }
                }
                let needed: BTreeSet<u64> = record_of_row
                    .values()
                    .chain(records.iter())
                    .copied()
                    .collect();
                let lines = csv_record_lines(&s.input.path, delimiter, &needed);
                for (row, record) in record_of_row {
                    let line = lines.get(&record).copied();
                    row_place.insert(
                        (file, row),
                        line.map(Location::Line).unwrap_or(Location::Row(row + 1)),
                    );
                }
                for record in records {
                    record_place.insert(
                        (file, record),
                        Location::Line(lines.get(&record).copied().unwrap_or(record)),
                    );
                }
            }
        }
    }

    let file_name = |file: usize| {
        staged
            .get(file)
            .map(|s| s.input.shown.clone())
            .unwrap_or_default()
    };
    let mut problems: Vec<Problem> = found
        .into_iter()
        .map(|f| {
            let location = match f.at {
                At::File => Location::File,
                At::Row(row) => row_place
                    .get(&(f.file, row))
                    .copied()
                    .unwrap_or(Location::Row(row + 1)),
                At::Record(record) => record_place
                    .get(&(f.file, record))
                    .copied()
                    .unwrap_or(Location::Line(record)),
            };
            let mut reason = f.reason;
            if let Some((file, row)) = f.first_given {
                let at = row_place
                    .get(&(file, row))
                    .copied()
                    .unwrap_or(Location::Row(row + 1));
                let at = match at {
                    Location::Line(n) if file == f.file => format!("on line {n}"),
                    Location::Row(n) if file == f.file => format!("on row {n}"),
                    Location::Line(n) => format!("at {}:{n}", file_name(file)),
                    Location::Row(n) => format!("at {}:row {n}", file_name(file)),
                    Location::File => format!("in {}", file_name(file)),
                };
                reason.push_str(&format!(", first given {at}"));
            }
            Problem {
                file: file_name(f.file),
                location,
                column: f.column,
                reason,
            }
        })
        .collect();
    problems.sort_by(|a, b| (&a.file, a.location).cmp(&(&b.file, b.location)));
    problems.truncate(cap);
    problems
}

/// Physical line of each wanted record (1 = header), honouring quoted newlines.
fn csv_record_lines(path: &Path, delimiter: u8, wanted: &BTreeSet<u64>) -> HashMap<u64, u64> {
    let mut lines = HashMap::new();
    let Some(&last) = wanted.iter().next_back() else {
        return lines;
    };
    if path.to_string_lossy().to_ascii_lowercase().ends_with(".gz") {
        // Compressed files: fall back to record numbers.
        return wanted.iter().map(|&r| (r, r)).collect();
    }
    let Ok(file) = std::fs::File::open(path) else {
        return lines;
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(std::io::BufReader::new(file));
    let mut record = csv::ByteRecord::new();
    let mut ordinal = 0u64;
    loop {
        let line = csv.position().line();
        match csv.read_byte_record(&mut record) {
            Ok(true) => {
                ordinal += 1;
                if wanted.contains(&ordinal) {
                    lines.insert(ordinal, line);
                }
                if ordinal >= last {
                    break;
                }
            }
            Ok(false) | Err(_) => break,
        }
    }
    lines
}

/// The header's column names, as text; None for compressed files.
fn csv_header(path: &Path, delimiter: u8) -> Option<Vec<String>> {
    if path.to_string_lossy().to_ascii_lowercase().ends_with(".gz") {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(file);
    let mut header = csv::ByteRecord::new();
    csv.read_byte_record(&mut header).ok()?;
    let names = header.iter().map(|n| {
        let n = String::from_utf8_lossy(n);
        n.trim_start_matches('\u{feff}').trim().to_string()
    });
    Some(names.collect())
}

fn sniff_delimiter(path: &Path) -> u8 {
    use std::io::BufRead;
    let mut header = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = std::io::BufReader::new(file).read_until(b'\n', &mut header);
    }
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| header.iter().filter(|b| *b == d).count())
        .unwrap_or(b',')
}

/// Physical line of each non-blank NDJSON line, up to row `last`.
fn ndjson_lines(path: &Path, last: u64) -> Vec<u64> {
    use std::io::BufRead;
    let mut lines = Vec::new();
    let Ok(file) = std::fs::File::open(path) else {
        return lines;
    };
    let mut buf = Vec::new();
    let mut reader = std::io::BufReader::new(file);
    let mut line = 0u64;
    while lines.len() as u64 <= last {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                line += 1;
                if !buf.iter().all(|b| b.is_ascii_whitespace()) {
                    lines.push(line);
                }
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_print_as_file_line_column_reason() {
        let p = Problem {
            file: "responses.csv".into(),
            location: Location::Line(7),
            column: Some("correct".into()),
            reason: "'2' must be 0 or 1".into(),
        };
        assert_eq!(
            p.to_string(),
            "responses.csv:7: correct: '2' must be 0 or 1"
        );
        let p = Problem {
            location: Location::Row(3),
            column: None,
            ..p
        };
        assert_eq!(p.to_string(), "responses.csv:row 3: '2' must be 0 or 1");
    }

    #[test]
    fn stems_drop_format_extensions() {
        assert_eq!(
            data_stem(Path::new("/x/Responses-w3.csv.gz")),
            "responses-w3"
        );
        assert_eq!(data_stem(Path::new("views.parquet")), "views");
        assert!(format_of(Path::new("notes.txt")).is_none());
        assert_eq!(
            format_of(Path::new("a.tsv")),
            Some(Format::Csv { delimiter: b'\t' })
        );
    }
}

//! Class reports for people who will never open a terminal: one
//! self-contained HTML file per class (inline SVG charts and CSS, no script,
//! nothing fetched), the tables behind every chart as CSV or Parquet, the
//! charts as SVG or PNG, and a school index linking the classes.
//!
//! Shape: the store reads a class in a few queries ([`crate::store::class_report`]),
//! [`model`] turns that into a [`model::ClassReport`] (pseudonyms and small-group
//! suppression are applied there, once, so no writer can leak), and the writers
//! ([`html`], [`tables`], [`charts`]) only format.

pub mod charts;
pub mod html;
pub mod model;
pub mod privacy;
pub mod tables;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::store::class_report::ClassRow;
use crate::store::{Store, StoreError};
pub use model::{ClassReport, build_class};
use privacy::{Pseudonyms, private_dir, write_private};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no class {0:?} (`classlens report --out DIR` without --class reports every class)")]
    NoClass(String),
    #[error("no student {student:?}{}", match .class { Some(c) => format!(" in class {c:?}"), None => String::new() })]
    NoStudent {
        student: String,
        class: Option<String>,
    },
    #[error("class {class:?} has nothing to report: {why}")]
    Empty { class: String, why: String },
    #[error(
        "the school has no classes yet: ingest the platform's exports first (`classlens ingest DIR`)"
    )]
    NoClasses,
    #[error("the report key {}: {why}", .path.display())]
    Secret { path: PathBuf, why: String },
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("drawing the {chart} chart: {why}")]
    Chart { chart: String, why: String },
    #[error("writing {}: {why}", .path.display())]
    Parquet { path: PathBuf, why: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which files a report writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub html: bool,
    pub csv: bool,
    pub parquet: bool,
    pub png: bool,
    pub svg: bool,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            html: true,
            csv: true,
            parquet: false,
            png: false,
            svg: false,
        }
    }
}

impl FromStr for Formats {
    type Err = String;

    fn from_str(list: &str) -> Result<Formats, String> {
        let mut f = Formats {
            html: false,
            csv: false,
            parquet: false,
            png: false,
            svg: false,
        };
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name.to_ascii_lowercase().as_str() {
                "html" => f.html = true,
                "csv" => f.csv = true,
                "parquet" => f.parquet = true,
                "png" => f.png = true,
                "svg" => f.svg = true,
                other => {
                    return Err(format!(
                        "unknown format {other:?}: choose from html, csv, parquet, png, svg"
                    ));
                }
            }
        }
        if f == (Formats {
            html: false,
            csv: false,
            parquet: false,
            png: false,
            svg: false,
        }) {
            return Err("no format given: choose from html, csv, parquet, png, svg".into());
        }
        Ok(f)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub formats: Formats,
    pub pseudonymize: bool,
    pub include_comments: bool,
    /// YYYY-MM-DD: activity, sentiment, mastery weeks and comments from this
    /// date's week on; abilities are always the latest estimates.
    pub since: Option<String>,
    /// Only this student's page (and no other student's figures).
    pub student: Option<String>,
}

/// What a report run wrote.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Written {
    /// The main file: the class's HTML, or the school index.
    pub main: Option<PathBuf>,
    pub files: Vec<PathBuf>,
    pub bytes: u64,
    /// Of which the HTML pages.
    pub html_bytes: u64,
    pub classes: usize,
    pub students: usize,
    /// Classes left out of a school report, with why.
    pub skipped: Vec<(String, String)>,
}

impl Written {
    fn file(&mut self, path: PathBuf, bytes: &[u8]) -> Result<(), ReportError> {
        write_private(&path, bytes)?;
        self.bytes += bytes.len() as u64;
        if path.extension().is_some_and(|e| e == "html") {
            self.html_bytes += bytes.len() as u64;
        }
        self.files.push(path);
        Ok(())
    }
}

/// Folder and file names from ids: letters, digits, '-' and '_' only.
pub fn slug(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "_".into() } else { s }
}

/// One class's report into `out` (`<class>.html`, `<class>/…`).
pub fn class(
    store: &Store,
    class_id: &str,
    out: &Path,
    options: &Options,
) -> Result<Written, ReportError> {
    let pseudonyms = pseudonyms(store, options)?;
    let report = build_class(store, class_id, options, pseudonyms.as_ref())?;
    let mut written = Written::default();
    private_dir(out)?;
    write_class(&report, out, options, None, &mut written)?;
    written.main = written.files.first().cloned();
    Ok(written)
}

/// Every class's report, and `index.html` linking them with the school's figures.
pub fn school(store: &Store, out: &Path, options: &Options) -> Result<Written, ReportError> {
    let classes = store.report_classes()?;
    if classes.is_empty() {
        return Err(ReportError::NoClasses);
    }
    let pseudonyms = pseudonyms(store, options)?;
    private_dir(out)?;
    let mut written = Written::default();
    let mut reports = Vec::new();
    for chunk in chunks(&classes) {
        let ids: Vec<String> = chunk.iter().map(|c| c.class_id.clone()).collect();
        let data =
            store.class_report_data(&ids, options.since.as_deref(), options.include_comments)?;
        for class in data {
            match model::shape_class(class, options, pseudonyms.as_ref()) {
                Ok(mut report) => {
                    write_class(&report, out, options, Some("index.html"), &mut written)?;
                    // The index needs only the summary: let the pages go.
                    report.pages.clear();
                    report.tables.clear();
                    reports.push(report);
                }
                Err(ReportError::Empty { class, why }) => written.skipped.push((class, why)),
                Err(e) => return Err(e),
            }
        }
    }
    let index = html::school_index(&reports, &written.skipped, options);
    let path = out.join("index.html");
    written.file(path.clone(), index.as_bytes())?;
    if options.formats.csv || options.formats.parquet {
        let table = tables::school_table(&reports);
        tables::write(&table, &out.join("school"), options.formats, &mut written)?;
    }
    written.main = Some(path);
    Ok(written)
}

/// Classes read together: one set of scans each, and a bounded amount held.
const CHUNK_STUDENTS: i64 = 2_500;

/// Consecutive classes of up to [`CHUNK_STUDENTS`] students together (a
/// bigger class alone).
fn chunks(classes: &[ClassRow]) -> Vec<&[ClassRow]> {
    let mut out = Vec::new();
    let (mut start, mut students) = (0, 0);
    for (i, class) in classes.iter().enumerate() {
        if i > start && students + class.students > CHUNK_STUDENTS {
            out.push(&classes[start..i]);
            (start, students) = (i, 0);
        }
        students += class.students;
    }
    if start < classes.len() {
        out.push(&classes[start..]);
    }
    out
}

fn pseudonyms(store: &Store, options: &Options) -> Result<Option<Pseudonyms>, ReportError> {
    if options.pseudonymize {
        Pseudonyms::for_database(store.path()).map(Some)
    } else {
        Ok(None)
    }
}

fn write_class(
    report: &ClassReport,
    out: &Path,
    options: &Options,
    back: Option<&str>,
    written: &mut Written,
) -> Result<(), ReportError> {
    let stem = report.file_stem();
    let assets = out.join(&stem);
    if options.formats.html {
        let page = html::class_page(report, back)?;
        written.file(out.join(format!("{stem}.html")), page.as_bytes())?;
    }
    if options.formats.svg || options.formats.png {
        let dir = assets.join("charts");
        private_dir(&dir)?;
        for chart in report.all_charts() {
            if options.formats.svg {
                written.file(
                    dir.join(format!("{}.svg", chart.id)),
                    chart.svg()?.as_bytes(),
                )?;
            }
            if options.formats.png {
                written.file(dir.join(format!("{}.png", chart.id)), &chart.png()?)?;
            }
        }
    }
    if options.formats.csv || options.formats.parquet {
        let dir = assets.join("data");
        for table in &report.tables {
            tables::write(table, &dir, options.formats, written)?;
        }
    }
    written.classes += 1;
    written.students += report.pages.len();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(id: &str, students: i64) -> ClassRow {
        ClassRow {
            class_id: id.into(),
            name: id.into(),
            grade: String::new(),
            teacher: String::new(),
            students,
        }
    }

    #[test]
    fn classes_are_read_in_chunks_of_bounded_size_in_order() {
        let classes: Vec<ClassRow> = [1200, 1200, 200, 3000, 10]
            .iter()
            .enumerate()
            .map(|(i, n)| class(&format!("c{i}"), *n))
            .collect();
        let sizes: Vec<Vec<&str>> = chunks(&classes)
            .iter()
            .map(|c| c.iter().map(|c| c.class_id.as_str()).collect())
            .collect();
        assert_eq!(
            sizes,
            [vec!["c0", "c1"], vec!["c2"], vec!["c3"], vec!["c4"]]
        );
        assert!(chunks(&[]).is_empty());
    }

    #[test]
    fn formats_parse_and_unknown_ones_are_named() {
        let f: Formats = "html, PNG,parquet".parse().unwrap();
        assert!(f.html && f.png && f.parquet && !f.csv && !f.svg);
        assert!("pdf".parse::<Formats>().unwrap_err().contains("\"pdf\""));
        assert!("".parse::<Formats>().is_err());
    }
}

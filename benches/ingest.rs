//! Ingest throughput: 10M response rows from CSV and from Parquet into a fresh
//! database, against plain DuckDB loading the same file with no checks at all
//! (`CREATE TABLE AS SELECT * FROM read_csv(...)`, the peer a DBA would reach for).
//!
//! `cargo bench --bench ingest [-- ROWS]`; prints one line per measurement.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use classlens::store::ingest::IngestOptions;
use classlens::store::{Access, Store};

const STUDENTS: u64 = 2_000;
const ITEMS: u64 = 400;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let dir = tempfile::tempdir()?;
    let school = school(dir.path())?;
    let csv = dir.path().join("responses.csv");
    write_responses(&csv, rows)?;
    let parquet = dir.path().join("responses.parquet");
    duckdb::Connection::open_in_memory()?.execute_batch(&format!(
        "COPY (SELECT * FROM read_csv('{}', header = true)) TO '{}' (FORMAT parquet)",
        csv.display(),
        parquet.display()
    ))?;
    let size = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.len() as f64 / 1e6)
            .unwrap_or(0.0)
    };
    println!(
        "rows: {rows}, csv {:.0} MB, parquet {:.0} MB",
        size(&csv),
        size(&parquet)
    );

    for (label, file) in [("csv", &csv), ("parquet", &parquet)] {
        let mut times = Vec::new();
        for run in 0..3 {
            let db = dir.path().join(format!("bench-{label}-{run}.duckdb"));
            let mut store = Store::open(&db, Access::ReadWrite)?;
            store.ingest(&school, &IngestOptions::default(), &mut |_| {})?;
            let start = Instant::now();
            let report = store.ingest(
                std::slice::from_ref(file),
                &IngestOptions::default(),
                &mut |_| {},
            )?;
            times.push(start.elapsed().as_secs_f64());
            assert_eq!(report.rows_added(), rows);
        }
        report(&format!("classlens ingest {label}"), rows, &mut times);

        let mut times = Vec::new();
        for run in 0..3 {
            let db = dir.path().join(format!("peer-{label}-{run}.duckdb"));
            let conn = duckdb::Connection::open(&db)?;
            let reader = if label == "csv" {
                "read_csv"
            } else {
                "read_parquet"
            };
            let start = Instant::now();
            conn.execute_batch(&format!(
                "CREATE TABLE responses AS SELECT * FROM {reader}('{}')",
                file.display()
            ))?;
            times.push(start.elapsed().as_secs_f64());
        }
        report(
            &format!("peer: plain DuckDB {label}, no checks"),
            rows,
            &mut times,
        );
    }
    Ok(())
}

fn report(label: &str, rows: u64, times: &mut [f64]) {
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{label:<40} median {median:6.2} s  {:>10.0} rows/s  (runs: {times:.2?})",
        rows as f64 / median
    );
}

fn school(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut write = |name: &str, text: String| -> std::io::Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        files.push(path);
        Ok(())
    };
    write("classes.csv", "class_id,name\nc1,7A\n".into())?;
    write(
        "students.csv",
        std::iter::once("student_id,class_id,display_name\n".to_string())
            .chain((0..STUDENTS).map(|s| format!("s{s},c1,Student {s}\n")))
            .collect(),
    )?;
    write(
        "skills.csv",
        "skill_id,subject,name\nk1,Maths,Fractions\n".into(),
    )?;
    write(
        "items.csv",
        std::iter::once("item_id,skill_id\n".to_string())
            .chain((0..ITEMS).map(|i| format!("i{i},k1\n")))
            .collect(),
    )?;
    Ok(files)
}

fn write_responses(path: &Path, rows: u64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "student_id,item_id,time,correct,seconds,attempt")?;
    let start = 1_769_990_400u64; // 2026-02-02T00:00:00Z
    for n in 0..rows {
        let student = n % STUDENTS;
        let item = (n / STUDENTS) % ITEMS;
        let t = start + n / (STUDENTS * ITEMS) * 60 + student % 60;
        let (d, s) = (t / 86_400, t % 86_400);
        // Days after 2026-02-02 stay within February for the default size.
        writeln!(
            out,
            "s{student},i{item},2026-02-{:02}T{:02}:{:02}:{:02},{},{},1",
            2 + (d - start / 86_400),
            s / 3600,
            s % 3600 / 60,
            s % 60,
            (n * 7 % 10 < 6) as u8,
            20 + n % 90
        )?;
    }
    out.flush()
}

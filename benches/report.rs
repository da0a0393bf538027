//! Class reports on an analysed school: one 40-student class and the whole
//! school, each run several times into a fresh folder; the median time, the
//! files and bytes written, and peak memory. The demo's classes have 30
//! students, so a copy of the database moves ten of the second class into the
//! first.
//!
//! `cargo bench --bench report -- SCHOOL.duckdb`

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use classlens::report::{self, Formats, Options};
use classlens::store::{Access, Store};
use common::peak_rss;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .ok_or("usage: cargo bench --bench report -- SCHOOL.duckdb")?;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("school.duckdb");
    std::fs::copy(&path, &db)?;
    let class: String = {
        let conn = duckdb::Connection::open(&db)?;
        conn.execute_batch(
            "UPDATE students SET class_id = (SELECT min(class_id) FROM classes)
             WHERE student_id IN (
                SELECT student_id FROM students
                WHERE class_id = (SELECT min(class_id) FROM classes
                                  WHERE class_id > (SELECT min(class_id) FROM classes))
                ORDER BY student_id LIMIT 10)",
        )?;
        conn.query_row("SELECT min(class_id) FROM classes", [], |r| r.get(0))?
    };
    let store = Store::open(&db, Access::ReadOnly)?;
    let every = Formats {
        html: true,
        csv: true,
        parquet: true,
        png: true,
        svg: true,
    };
    let runs: [(&str, Option<&str>, Formats, bool, usize); 5] = [
        (
            "class, html+csv",
            Some(&class),
            Formats::default(),
            false,
            7,
        ),
        (
            "class, html+csv pseudonymized",
            Some(&class),
            Formats::default(),
            true,
            7,
        ),
        ("class, every format", Some(&class), every, false, 5),
        ("school, html+csv", None, Formats::default(), false, 3),
        (
            "school, html+csv pseudonymized",
            None,
            Formats::default(),
            true,
            3,
        ),
    ];
    for (name, class, formats, pseudonymize, times) in runs {
        let options = Options {
            formats,
            pseudonymize,
            ..Options::default()
        };
        let mut seconds = Vec::new();
        let mut last = None;
        for i in 0..times {
            let out: PathBuf = dir
                .path()
                .join(format!("{}-{i}", name.replace([' ', ','], "_")));
            let t = Instant::now();
            let written = match class {
                Some(c) => report::class(&store, c, &out, &options)?,
                None => report::school(&store, &out, &options)?,
            };
            seconds.push(t.elapsed().as_secs_f64());
            last = Some(written);
            remove(&out);
        }
        seconds.sort_by(f64::total_cmp);
        let w = last.ok_or("no run")?;
        println!(
            "{name}: {} students in {} class(es): median {:.3} s (min {:.3}, max {:.3}, {times} runs); \
             {} files, {:.2} MB (HTML {:.2} MB); peak RSS so far {}",
            w.students,
            w.classes,
            seconds[seconds.len() / 2],
            seconds[0],
            seconds[seconds.len() - 1],
            w.files.len(),
            w.bytes as f64 / 1e6,
            w.html_bytes as f64 / 1e6,
            peak_rss()
        );
    }
    Ok(())
}

fn remove(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

//! `classlens search` at scale: a school database with N analysed comments
//! (default 1,000,000, each its own text) whose vectors are synthetic (clustered
//! unit vectors: encoding a million comments would take the benchmark half an
//! hour and change nothing in what is timed), then the search index's build
//! time and size, and the latency of searches with the index and, once,
//! without it. Real DuckDB, real index, real ranking code.
//!
//! `cargo bench --bench search -- [N] [DIR]`

mod common;

use std::path::PathBuf;
use std::time::Instant;

use classlens::store::insights::CommentFilter;
use classlens::store::{Access, Store};
use classlens::text::search::{self, Query};
use classlens::text::{index, topics};
use common::peak_rss;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

const DIM: usize = 384;
const MODEL: &str = "synthetic@000000000000";

fn unit(v: &mut [f32]) {
    topics::normalise(v);
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let n: usize = args.first().map_or(Ok(1_000_000), |a| a.parse())?;
    let dir = args.get(1).map_or_else(std::env::temp_dir, PathBuf::from);
    let path = dir.join(format!("search-bench-{n}.duckdb"));
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(index::path_for(&path));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261129);
    let noise = Normal::new(0.0f32, 0.04)?;
    let centers: Vec<Vec<f32>> = (0..500)
        .map(|_| {
            let mut c: Vec<f32> = (0..DIM).map(|_| noise.sample(&mut rng) * 25.0).collect();
            unit(&mut c);
            c
        })
        .collect();

    let started = Instant::now();
    drop(Store::open(&path, Access::ReadWrite)?); // the schema
    {
        let conn = duckdb::Connection::open(&path)?;
        conn.execute_batch(&format!(
            "INSERT INTO classes VALUES ('c1', '7A', '7', 'T');
             INSERT INTO students SELECT 's' || i, 'c' || (i % 40 + 1), 'Student ' || i, NULL
                 FROM range(2000) t(i);
             INSERT INTO classes SELECT 'c' || i, 'class ' || i, '7', 'T' FROM range(2, 41) t(i);
             INSERT INTO comments SELECT 'cm' || i, 's' || (i % 2000), NULL,
                 TIMESTAMP '2026-01-05' + INTERVAL (i % 150) DAY, 'comment ' || i
                 FROM range({n}) t(i);
             INSERT INTO comment_insights SELECT 'cm' || i, lower(lpad(hex(i), 32, '0')), 'en', 'scored',
                 'neutral', 0.5, 0.25, 0.5, 0.25, NULL, NULL, NULL, NULL FROM range({n}) t(i);
             INSERT INTO insight_source VALUES ('{MODEL}|bench', TIMESTAMP '2026-11-29');"
        ))?;
        let mut appender = conn.appender("embeddings")?;
        let mut v = vec![0f32; DIM];
        for i in 0..n {
            let c = &centers[rng.random_range(0..centers.len())];
            for (x, m) in v.iter_mut().zip(c) {
                *x = m + noise.sample(&mut rng);
            }
            unit(&mut v);
            // The same key the SQL above gives comment i.
            let hash = format!("{i:032x}");
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            appender.append_row(duckdb::params![MODEL, hash, 12u16, bytes])?;
        }
        appender.flush()?;
    }
    println!(
        "{n} comments with vectors written in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let store = Store::open(&path, Access::ReadWrite)?;
    let started = Instant::now();
    let written = index::refresh(&store, MODEL)?;
    let size = std::fs::metadata(index::path_for(&path))?.len();
    println!(
        "index: {} texts in {:.1} s, {:.0} MB; peak RSS so far {}",
        written.unwrap_or(0),
        started.elapsed().as_secs_f64(),
        size as f64 / 1e6,
        peak_rss()
    );
    drop(store);

    // A fresh process would map the file anew; here the page cache is warm
    // after the build, as it is on a server that searched a minute ago.
    let store = Store::open_read_only(&path, false)?;
    let mut latencies = Vec::new();
    for q in 0..21 {
        let mut query = centers[q * 7].clone();
        for x in query.iter_mut() {
            *x += noise.sample(&mut rng);
        }
        unit(&mut query);
        let query = Query {
            vector: query,
            probabilities: Some([0.6, 0.2, 0.2]),
            skill_id: None,
            boost: 1.0,
        };
        let started = Instant::now();
        let index = index::current(&store)?.ok_or("the index is not current")?;
        let hits = search::search(
            &store,
            MODEL,
            &query,
            &CommentFilter::default(),
            10,
            Some(&index),
        )?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(hits.len(), 10);
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "search with the index (open + scan + exact re-rank + comments), 21 queries: median {:.0} ms, min {:.0}, max {:.0}",
        latencies[10], latencies[0], latencies[20]
    );
    // Where one search's time goes.
    {
        let query = centers[5].clone();
        let started = Instant::now();
        let index = index::current(&store)?.ok_or("the index is not current")?;
        let opened = started.elapsed().as_secs_f64() * 1000.0;
        let started = Instant::now();
        let candidates = index.candidates(&query, None, 200, 0.0, |s, _, _| s);
        let scanned = started.elapsed().as_secs_f64() * 1000.0;
        let hashes: Vec<&str> = candidates.iter().map(|c| c.text_hash.as_str()).collect();
        let started = Instant::now();
        store.comments_with_hashes(&hashes[..10], &CommentFilter::default(), 10)?;
        let rows = started.elapsed().as_secs_f64() * 1000.0;
        println!(
            "one search's parts: open {opened:.1} ms, int8 scan and exact re-rank of 200 \
             {scanned:.1} ms, 10 texts' comments from DuckDB {rows:.1} ms"
        );
    }
    let class = CommentFilter {
        class_id: Some("c7".into()),
        ..CommentFilter::default()
    };
    let query = Query {
        vector: centers[3].clone(),
        probabilities: None,
        skill_id: None,
        boost: 1.0,
    };
    let started = Instant::now();
    let index = index::current(&store)?.ok_or("the index is not current")?;
    search::search(&store, MODEL, &query, &class, 10, Some(&index))?;
    println!(
        "one class (1/40 of the comments) with the index: {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let started = Instant::now();
    search::search(&store, MODEL, &query, &CommentFilter::default(), 10, None)?;
    println!(
        "without the index (every vector read from DuckDB): {:.0} ms; peak RSS {}",
        started.elapsed().as_secs_f64() * 1000.0,
        peak_rss()
    );
    drop(store);
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(index::path_for(&path));
    Ok(())
}

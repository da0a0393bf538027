//! The multilingual encoder's throughput: texts of a CSV column (or a text
//! file, one per line) encoded as passages in batches, one warm-up pass, then
//! the fastest of 3 timed passes. Prints texts/s, tokens/s and peak RSS.
//!
//! `cargo bench --bench e5 -- MODEL_FILE TEXTS.csv [N] [--column text] [--dump VECTORS.f32 | --ids IDS.txt]`

mod common;

use std::path::PathBuf;
use std::time::Instant;

use candle_core::Device;
use classlens::text::e5::{E5, Role};
use common::peak_rss;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let model = args
        .first()
        .ok_or("usage: e5 MODEL_FILE TEXTS [N] [--column NAME]")?;
    let input = args
        .get(1)
        .ok_or("usage: e5 MODEL_FILE TEXTS [N] [--column NAME]")?;
    let n: usize = args
        .get(2)
        .filter(|a| !a.starts_with("--"))
        .map_or(Ok(2000), |a| a.parse())?;
    let column = args
        .iter()
        .position(|a| a == "--column")
        .and_then(|i| args.get(i + 1))
        .map_or("text", String::as_str);
    let texts = read_texts(&PathBuf::from(input), column, n)?;
    let started = Instant::now();
    let e5 = E5::load(&PathBuf::from(model), &Device::Cpu)?;
    let loaded = started.elapsed().as_secs_f64();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let tokens: usize = refs
        .iter()
        .map(|t| e5.token_ids(t, Role::Passage).len())
        .sum();
    e5.encode(&refs[..refs.len().min(64)], Role::Passage, 32)?;
    if let Some(path) = args
        .iter()
        .position(|a| a == "--dump")
        .and_then(|i| args.get(i + 1))
    {
        // The vectors themselves, as a headerless f32 matrix (for offline studies).
        let vectors = e5.encode(&refs, Role::Passage, 32)?;
        let bytes: Vec<u8> = vectors
            .iter()
            .flatten()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        std::fs::write(path, bytes)?;
        println!("wrote {} vectors to {path}", vectors.len());
        return Ok(());
    }
    if let Some(path) = args
        .iter()
        .position(|a| a == "--ids")
        .and_then(|i| args.get(i + 1))
    {
        // Each text's passage ids, <s> and </s> included, one text per line
        // (what benches/probes/finetune_zh.py trains on).
        let lines: Vec<String> = refs
            .iter()
            .map(|t| {
                let ids: Vec<String> = e5
                    .token_ids(t, Role::Passage)
                    .iter()
                    .map(u32::to_string)
                    .collect();
                ids.join(" ")
            })
            .collect();
        std::fs::write(path, lines.join("\n") + "\n")?;
        println!("wrote the ids of {} texts to {path}", lines.len());
        return Ok(());
    }
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let started = Instant::now();
        e5.encode(&refs, Role::Passage, 32)?;
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "classlens e5 (candle, 4-bit): {} texts, {tokens} tokens in {best:.2} s: {:.0} texts/s, \
         {:.0} tokens/s; loading {loaded:.2} s; peak RSS {}",
        refs.len(),
        refs.len() as f64 / best,
        tokens as f64 / best,
        peak_rss()
    );
    Ok(())
}

/// The first `n` non-empty texts: a CSV's `column`, or a text file's lines.
fn read_texts(
    path: &PathBuf,
    column: &str,
    n: usize,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut texts = Vec::new();
    if path.extension().is_some_and(|e| e == "csv") {
        let mut reader = csv::Reader::from_path(path)?;
        let at = reader
            .headers()?
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| format!("{} has no column {column}", path.display()))?;
        for record in reader.records() {
            let record = record?;
            if let Some(text) = record.get(at).filter(|t| !t.trim().is_empty()) {
                texts.push(text.to_string());
            }
            if texts.len() == n {
                break;
            }
        }
    } else {
        texts = std::fs::read_to_string(path)?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(n)
            .map(str::to_string)
            .collect();
    }
    Ok(texts)
}

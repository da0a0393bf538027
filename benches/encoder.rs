//! Encoder throughput: texts/s and tokens/s over CSV files of texts (column
//! `text`), batch 32, model loading and one warm-up batch not timed, 3 passes
//! (fastest and median printed). Threads: RAYON_NUM_THREADS (benches/encoder.sh
//! sets 2, as the peer). Precision: CLASSLENS_PRECISION=f32|bf16 (default: the fastest).
//!
//! `cargo bench --bench encoder -- MODEL_DIR FILE.csv...`

use std::path::PathBuf;
use std::time::Instant;

use classlens::text::bert::Precision;
use classlens::text::encoder::{DeviceChoice, Encoder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (model, files) = args
        .split_first()
        .ok_or("usage: cargo bench --bench encoder -- MODEL_DIR FILE.csv...")?;
    let mut texts = Vec::new();
    for file in files {
        let mut reader = csv::Reader::from_path(PathBuf::from(file))?;
        let column = reader
            .headers()?
            .iter()
            .position(|h| h == "text")
            .ok_or("no text column")?;
        for record in reader.records() {
            texts.push(record?.get(column).unwrap_or("").to_string());
        }
    }
    let precision = match std::env::var("CLASSLENS_PRECISION") {
        Ok(name) => Some(name.parse::<Precision>()?),
        Err(_) => None,
    };
    let encoder =
        Encoder::load_with_precision(&PathBuf::from(model), DeviceChoice::Auto, 256, precision)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    encoder.encode(&refs[..32.min(refs.len())], 32)?;
    let mut runs = Vec::new();
    let mut tokens = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let out = encoder.encode_counted(&refs, 32)?;
        runs.push(started.elapsed().as_secs_f64());
        tokens = out.iter().map(|(_, n)| n).sum::<usize>();
    }
    runs.sort_by(f64::total_cmp);
    // The peer reports its fastest pass; both are printed to compare like with like.
    let (fastest, median) = (runs[0], runs[1]);
    println!(
        "classlens candle {} ({}): {} texts, {tokens} tokens; fastest {fastest:.2} s = {:.1} texts/s, {:.0} tokens/s; median {median:.2} s = {:.1} texts/s",
        encoder.precision_name(),
        encoder.device_name(),
        texts.len(),
        texts.len() as f64 / fastest,
        tokens as f64 / fastest,
        texts.len() as f64 / median,
    );
    Ok(())
}

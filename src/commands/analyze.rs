use anyhow::Result;

use super::progress::{Counter, thousands};
use crate::cli::{AnalyzeArgs, DbArgs};
use crate::text::encoder::Encoder;
use crate::text::{self, model};

pub fn run(db: &DbArgs, args: &AnalyzeArgs) -> Result<()> {
    let mut store = super::open_for_writing(db)?;
    let manifest = model::default_manifest();
    let info = match &args.model_dir {
        Some(dir) => model::verify(&manifest, dir).or_else(|_| model::inspect(dir))?,
        None => {
            let dir = model::default_model_dir(&manifest);
            match model::verify(&manifest, &dir) {
                Ok(info) => info,
                // The model is needed and not there: get it, saying so.
                Err(_) => {
                    model::fetch(&manifest, &dir, &mut |step| eprintln!("classlens: {step}"))?
                }
            }
        }
    };
    // Another model (or other weights) means other vectors: the cache keys on both.
    let model_key = format!(
        "{}@{}",
        info.id,
        info.weights_sha256
            .get(..12)
            .unwrap_or(&info.weights_sha256)
    );
    let encoder =
        Encoder::load_with_precision(&info.dir, args.device, manifest.max_tokens, args.precision)?;
    let mut counter: Option<Counter> = None;
    let report = text::encode_new_texts(
        &mut store,
        &encoder,
        &model_key,
        args.batch_size as usize,
        &mut |done, total| {
            counter
                .get_or_insert_with(|| Counter::new(total as u64, "texts encoded"))
                .set(done as u64, total as u64)
        },
    );
    if let Some(counter) = &counter {
        counter.finish();
    }
    let report = report?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "model": model_key,
                "device": encoder.device_name(),
                "precision": encoder.precision().name(),
                "encode": report,
            }))?
        );
        return Ok(());
    }
    println!(
        "{} texts: {} encoded now ({} tokens, {:.1} s{}), {} already encoded, {} empty and skipped",
        thousands(report.texts as u64),
        thousands(report.encoded as u64),
        thousands(report.tokens as u64),
        report.seconds,
        if report.encoded > 0 {
            format!(
                ", {:.0} texts/s on {}, {}",
                report.encoded as f64 / report.seconds.max(1e-9),
                encoder.device_name(),
                encoder.precision().name()
            )
        } else {
            String::new()
        },
        thousands(report.cached as u64),
        thousands(report.skipped_empty as u64),
    );
    Ok(())
}

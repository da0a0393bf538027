use anyhow::Result;

use super::progress::{Counter, thousands};
use crate::ability::school;
use crate::cli::{AnalyzeArgs, DbArgs};
use crate::text::encoder::Encoder;
use crate::text::{self, model};

pub fn run(db: &DbArgs, args: &AnalyzeArgs) -> Result<()> {
    let mut store = super::open_for_writing(db)?;
    let manifest = model::default_manifest();
    // The cache key is known before any model is loaded: for the default model
    // from its manifest, for another folder from its weights.
    let (checked, model_key) = match &args.model_dir {
        Some(dir) => {
            let info = model::verify(&manifest, dir).or_else(|_| model::inspect(dir))?;
            let key = cache_key(&info.id, &info.weights_sha256);
            (Some(info), key)
        }
        None => {
            let weights = manifest
                .files
                .get("model.safetensors")
                .map_or("", String::as_str);
            (None, cache_key(&manifest.id, weights))
        }
    };
    let plan = text::plan_new_texts(&store, &model_key)?;
    // Nothing new: done without reading (or fetching) the model.
    let (report, encoder) = if plan.is_empty() {
        (plan.finish(), None)
    } else {
        let info = match checked {
            Some(info) => info,
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
        let encoder = Encoder::load_with_precision(
            &info.dir,
            args.device,
            manifest.max_tokens,
            args.precision,
        )?;
        let mut counter: Option<Counter> = None;
        let report = text::encode_plan(
            &mut store,
            &encoder,
            &model_key,
            plan,
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
        (report?, Some(encoder))
    };
    let ability = school::refresh(&mut store)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "model": model_key,
                "device": encoder.as_ref().map(Encoder::device_name),
                "precision": encoder.as_ref().map(|e| e.precision().name()),
                "encode": report,
                "ability": ability,
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
        match &encoder {
            Some(encoder) if report.encoded > 0 => format!(
                ", {:.0} texts/s on {}, {}",
                report.encoded as f64 / report.seconds.max(1e-9),
                encoder.device_name(),
                encoder.precision().name()
            ),
            _ => String::new(),
        },
        thousands(report.cached as u64),
        thousands(report.skipped_empty as u64),
    );
    if ability.fitted {
        println!(
            "abilities: {} skills, {} items, {} students fitted (2PL) in {:.1} s{}",
            thousands(ability.skills as u64),
            thousands(ability.items as u64),
            thousands(ability.students as u64),
            ability.seconds,
            if ability.not_converged > 0 {
                format!("; {} skills did not converge", ability.not_converged)
            } else {
                String::new()
            }
        );
    } else {
        println!("abilities: the answers have not changed since the last fit");
    }
    Ok(())
}

/// Another model (or other weights) means other vectors: the cache keys on both.
fn cache_key(id: &str, weights_sha256: &str) -> String {
    format!(
        "{id}@{}",
        weights_sha256.get(..12).unwrap_or(weights_sha256)
    )
}

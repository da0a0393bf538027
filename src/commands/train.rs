use anyhow::{Context, Result};

use super::analyze::{encoder_key, load_encoder};
use crate::cli::{TrainCommand, TrainSentimentArgs};
use crate::text;
use crate::text::bert::Precision;
use crate::text::encoder::Encoder;
use crate::text::model;
use crate::text::train::{self, DataSet};

pub fn run(command: TrainCommand) -> Result<()> {
    match command {
        TrainCommand::Sentiment(args) => sentiment(&args),
    }
}

fn sentiment(args: &TrainSentimentArgs) -> Result<()> {
    let data = if args.data.is_empty() && args.multilingual {
        DataSet::shipped_multilingual()?
    } else if args.data.is_empty() {
        DataSet::shipped()?
    } else {
        let mut data = DataSet::default();
        for path in &args.data {
            let content = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            data.add_csv(&path.display().to_string(), &content)?;
        }
        data
    };
    let (encoder, model_key) = if args.multilingual {
        let manifest = model::multilingual_manifest();
        let dir = model::multilingual_dir();
        let info = match model::verify(&manifest, &dir) {
            Ok(info) => info,
            Err(_) => model::fetch(&manifest, &dir, &mut |step| eprintln!("classlens: {step}"))?,
        };
        let file = info.dir.join(manifest.weights_file());
        (
            Encoder::load_multilingual(&file, args.encoder.device)?,
            info.cache_key(),
        )
    } else {
        let (checked, model_key) = encoder_key(&args.encoder)?;
        // f32 unless asked otherwise: the head should not depend on whether this
        // CPU has bfloat16 (vectors differ by a cosine of 5e-5 between the two).
        let mut encoder_args = args.encoder.clone();
        encoder_args.precision = Some(encoder_args.precision.unwrap_or(Precision::F32));
        (load_encoder(&encoder_args, checked)?, model_key)
    };
    eprintln!(
        "classlens: encoding {} labelled sentences on {} ({})",
        data.examples.len(),
        encoder.device_name(),
        encoder.precision_name()
    );
    // As analyze encodes them, so training and scoring see the same vectors.
    let normalised: Vec<String> = data
        .examples
        .iter()
        .map(|e| text::normalise(&e.text))
        .collect();
    let texts: Vec<&str> = normalised.iter().map(String::as_str).collect();
    let vectors = encoder.encode(&texts, 32)?;
    let (head, report) = train::train(&data, &vectors, &model_key, args.seed)?;
    let out = args.out.clone().unwrap_or_else(|| {
        std::path::PathBuf::from(if args.multilingual {
            crate::text::sentiment::SHIPPED_MULTILINGUAL_NAME
        } else {
            crate::text::sentiment::SHIPPED_NAME
        })
    });
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    head.save(&out)?;
    let mut command = if args.data.is_empty() {
        format!("classlens train sentiment --seed {}", args.seed)
    } else {
        format!(
            "classlens train sentiment --seed {} {}",
            args.seed,
            args.data
                .iter()
                .map(|p| format!("--data {}", p.display()))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    if args.multilingual {
        command.push_str(" --multilingual");
    }
    let markdown = out.with_extension("md");
    std::fs::write(&markdown, report.markdown(&command))
        .with_context(|| format!("cannot write {}", markdown.display()))?;
    let json_path = out.with_extension("json");
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::write(&json_path, format!("{json}\n"))
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    if args.json {
        println!("{json}");
        return Ok(());
    }
    println!(
        "sentiment head written to {} (report: {})",
        out.display(),
        markdown.display()
    );
    println!(
        "cross-validated ({} folds): positive vs negative {:.4}; {}",
        report.folds,
        report.polar_accuracy,
        report
            .cross_validated
            .iter()
            .filter_map(|s| s
                .accuracy
                .map(|a| format!("{} three labels {a:.4}", s.name)))
            .collect::<Vec<_>>()
            .join("; ")
    );
    println!(
        "calibration: temperature {:.3}, expected calibration error {:.4} -> {:.4}; neutral below {:.2}",
        report.temperature, report.ece_before, report.ece_after, report.polar_threshold
    );
    Ok(())
}

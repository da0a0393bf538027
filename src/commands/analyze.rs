use anyhow::Result;

use super::progress::{Counter, thousands};
use crate::ability::school;
use crate::cli::{AnalyzeArgs, DbArgs, EncoderArgs};
use crate::recommend::{self, ranker::Settings};
use crate::text::encoder::Encoder;
use crate::text::model::ModelInfo;
use crate::text::model::cache_key;
use crate::text::sentiment::{SHIPPED_NAME, SentimentHead};
use crate::text::{self, insights, model};

/// The encoder's cache key, known before any model is loaded: for the default
/// model from its manifest, for another folder from its weights.
pub(super) fn encoder_key(args: &EncoderArgs) -> Result<(Option<ModelInfo>, String)> {
    let manifest = model::default_manifest();
    Ok(match &args.model_dir {
        Some(dir) => {
            let info = model::verify(&manifest, dir).or_else(|_| model::inspect(dir))?;
            let key = info.cache_key();
            (Some(info), key)
        }
        None => {
            let weights = manifest
                .files
                .get("model.safetensors")
                .map_or("", String::as_str);
            (None, cache_key(&manifest.id, weights))
        }
    })
}

/// Loads the encoder `encoder_key` checked, fetching the default model if it is missing.
pub(super) fn load_encoder(args: &EncoderArgs, checked: Option<ModelInfo>) -> Result<Encoder> {
    let manifest = model::default_manifest();
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
    Ok(Encoder::load_with_precision(
        &info.dir,
        args.device,
        manifest.max_tokens,
        args.precision,
    )?)
}

/// The head given, or the one that ships with classlens; with its name for errors.
pub(super) fn load_head(path: Option<&std::path::Path>) -> Result<(SentimentHead, String)> {
    Ok(match path {
        Some(path) => (SentimentHead::load(path)?, path.display().to_string()),
        None => (SentimentHead::shipped()?, SHIPPED_NAME.to_string()),
    })
}

pub fn run(db: &DbArgs, args: &AnalyzeArgs) -> Result<()> {
    let (head, head_name) = load_head(args.head.as_deref())?;
    let mut store = super::open_for_writing(db)?;
    let (checked, model_key) = encoder_key(&args.encoder)?;
    // A head for another encoder's vectors is refused before any work is done.
    head.check_encoder(&model_key, &head_name)?;
    let plan = text::plan_new_texts(&store, &model_key)?;
    // Nothing new: done without reading (or fetching) the model.
    let (report, encoder) = if plan.is_empty() {
        (plan.finish(), None)
    } else {
        let encoder = load_encoder(&args.encoder, checked)?;
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
    let insights = insights::refresh(&mut store, &model_key, &head)?;
    let ability = school::refresh(&mut store)?;
    let risk = school::refresh_risk(&mut store)?;
    let settings = Settings {
        gap_priority: args.gap_priority,
        diversity: args.diversity,
    };
    let suggestions = recommend::school::refresh(&mut store, &model_key, &settings)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "model": model_key,
                "device": encoder.as_ref().map(Encoder::device_name),
                "precision": encoder.as_ref().map(|e| e.precision_name()),
                "encode": report,
                "comments": insights,
                "ability": ability,
                "risk": risk,
                "recommendations": suggestions,
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
                encoder.precision_name()
            ),
            _ => String::new(),
        },
        thousands(report.cached as u64),
        thousands(report.skipped_empty as u64),
    );
    if insights.comments + insights.searches > 0 {
        println!(
            "comments: {} analysed ({} scored, {} in another language, {} empty), {} searches, {} interest profiles{} in {:.1} s",
            thousands(insights.comments as u64),
            thousands(insights.scored as u64),
            thousands(insights.unsupported_language as u64),
            thousands(insights.empty as u64),
            thousands(insights.searches as u64),
            thousands(insights.profiles as u64),
            if insights.rebuilt {
                " (all recomputed: the encoder, head or skills changed)"
            } else {
                ""
            },
            insights.seconds
        );
    } else {
        println!("comments: nothing new to analyse");
    }
    if let Some(texts) = insights.indexed {
        println!(
            "search index: {} comment texts written",
            thousands(texts as u64)
        );
    }
    if let Some(error) = &insights.index_error {
        eprintln!("classlens: warning: {error}; searches will read the database instead");
    }
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
        println!(
            "mastery over time: {} of {} skills forecast next week's answers better with drift; \
             trends: {} rising, {} falling",
            ability.drifting_skills,
            ability.skills,
            thousands(ability.rising as u64),
            thousands(ability.falling as u64)
        );
    } else {
        println!("abilities: the answers have not changed since the last fit");
    }
    println!(
        "at risk: {} students ({} low abilities, {} falling, {} disengaged) in {:.1} s",
        thousands(risk.students as u64),
        thousands(risk.low_ability as u64),
        thousands(risk.falling as u64),
        thousands(risk.disengaged as u64),
        risk.seconds
    );
    println!(
        "suggestions: {} for {} students, {} learning-path steps; ranker trained on {} rows ({} completions){} in {:.1} s",
        thousands(suggestions.suggestions as u64),
        thousands(suggestions.students as u64),
        thousands(suggestions.path_steps as u64),
        thousands(suggestions.trained_rows as u64),
        thousands(suggestions.trained_completions as u64),
        if suggestions.pins + suggestions.hides > 0 {
            format!(
                "; {} pins and {} hides kept",
                suggestions.pins, suggestions.hides
            )
        } else {
            String::new()
        },
        suggestions.seconds
    );
    Ok(())
}

use anyhow::Result;

use super::progress::{Counter, thousands};
use crate::ability::school;
use crate::cli::{AnalyzeArgs, DbArgs, EncoderArgs};
use crate::recommend::{self, ranker::Settings};
use crate::text::encoder::{DeviceChoice, Encoder};
use crate::text::insights::Heads;
use crate::text::model::ModelInfo;
use crate::text::model::cache_key;
use crate::text::routing::{Encoders, Route};
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

/// Loads the multilingual encoder, fetching it if it is missing.
pub(super) fn load_multilingual(device: DeviceChoice) -> Result<Encoder> {
    let manifest = model::multilingual_manifest();
    let dir = model::multilingual_dir();
    let info = match model::verify(&manifest, &dir) {
        Ok(info) => info,
        Err(_) => model::fetch(&manifest, &dir, &mut |step| eprintln!("classlens: {step}"))?,
    };
    Ok(Encoder::load_multilingual(
        &info.dir.join(manifest.weights_file()),
        device,
    )?)
}

/// The route `encoders` asks for, with the English side's key and checked model.
pub(super) fn route_for(
    args: &EncoderArgs,
    encoders: Encoders,
) -> Result<(Route, Option<ModelInfo>)> {
    Ok(match encoders {
        Encoders::Split => {
            let (checked, english) = encoder_key(args)?;
            (
                Route {
                    english,
                    other: model::multilingual_cache_key(),
                },
                checked,
            )
        }
        Encoders::E5 => (Route::single(&model::multilingual_cache_key()), None),
    })
}

/// The heads of a route: `--head` for the model it was trained on, the shipped
/// head of each other model of the route. A head for no model of the route is refused.
pub(super) fn route_heads(route: &Route, path: Option<&std::path::Path>) -> Result<Heads> {
    let mut heads = Heads::new();
    for model in route.models() {
        if model::is_multilingual(model) {
            heads.insert(model.to_string(), SentimentHead::shipped_multilingual()?);
        } else if let Ok(head) = SentimentHead::shipped()
            && head.info.encoder == model
        {
            heads.insert(model.to_string(), head);
        }
    }
    if let Some(path) = path {
        let (head, name) = load_head(Some(path))?;
        let model = route
            .models()
            .into_iter()
            .find(|m| *m == head.info.encoder)
            .map(str::to_string);
        match model {
            Some(model) => {
                heads.insert(model, head);
            }
            None => head.check_encoder(&route.english, &name)?,
        }
    }
    // Another English encoder and no head for it: refused, as the shipped
    // head would score its vectors wrongly (the error says how to train one).
    if !heads.contains_key(&route.english) {
        SentimentHead::shipped()?.check_encoder(&route.english, SHIPPED_NAME)?;
    }
    Ok(heads)
}

pub fn run(db: &DbArgs, args: &AnalyzeArgs) -> Result<()> {
    let mut store = super::open_for_writing(db)?;
    let (route, checked) = route_for(&args.encoder, args.encoders)?;
    // A head for another encoder's vectors is refused before any work is done.
    let heads = route_heads(&route, args.head.as_deref())?;
    let mut report = text::EncodeReport::default();
    let mut encoders = Vec::new();
    let mut checked = checked;
    for plan in text::plan_new_texts(&store, &route)? {
        // Nothing new: done without reading (or fetching) the model.
        if plan.is_empty() {
            report.add(&plan.finish());
            continue;
        }
        let model = plan.model.clone();
        let encoder = if model::is_multilingual(&model) {
            load_multilingual(args.encoder.device)?
        } else {
            load_encoder(&args.encoder, checked.take())?
        };
        let mut counter: Option<Counter> = None;
        let encoded = text::encode_plan(
            &mut store,
            &encoder,
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
        report.add(&encoded?);
        encoders.push((model, encoder));
    }
    let encoder = encoders.first().map(|(_, e)| e);
    let insights = insights::refresh(&mut store, &route, &heads)?;
    let ability = school::refresh(&mut store)?;
    let risk = school::refresh_risk(&mut store)?;
    let settings = Settings {
        gap_priority: args.gap_priority,
        diversity: args.diversity,
    };
    let suggestions = recommend::school::refresh(&mut store, &route.english, &settings)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "model": route.english,
                "route": route,
                "encoders": args.encoders,
                "device": encoder.map(Encoder::device_name),
                "precision": encoders
                    .iter()
                    .map(|(model, e)| (model.clone(), e.precision_name()))
                    .collect::<std::collections::BTreeMap<_, _>>(),
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
        "{} texts{}: {} encoded now ({} tokens, {:.1} s{}), {} already encoded, {} empty and skipped",
        thousands(report.texts as u64),
        if report.read_twice > 0 {
            format!(
                " ({} catalogue texts read by both encoders)",
                thousands(report.read_twice as u64)
            )
        } else {
            String::new()
        },
        thousands(report.encoded as u64),
        thousands(report.tokens as u64),
        report.seconds,
        match encoder {
            Some(encoder) if report.encoded > 0 => format!(
                ", {:.0} texts/s on {}, {}",
                report.encoded as f64 / report.seconds.max(1e-9),
                encoder.device_name(),
                encoders
                    .iter()
                    .map(|(_, e)| e.precision_name())
                    .collect::<Vec<_>>()
                    .join(" + ")
            ),
            _ => String::new(),
        },
        thousands(report.cached as u64),
        thousands(report.skipped_empty as u64),
    );
    if insights.comments + insights.searches > 0 {
        println!(
            "comments: {} analysed ({} scored, {} in a language no head scores, {} empty), {} searches, {} interest profiles{} in {:.1} s",
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

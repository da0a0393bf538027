use anyhow::{Result, bail};

use super::analyze::{encoder_key, load_encoder, load_head, load_multilingual};
use crate::cli::{DbArgs, SearchArgs};
use crate::store::insights::CommentFilter;
use crate::text::routing::Route;
use crate::text::sentiment::SentimentHead;
use crate::text::{index, insights, language, model, normalise, search};

pub fn run(db: &DbArgs, args: &SearchArgs) -> Result<()> {
    let query = normalise(&args.query);
    if query.is_empty() {
        bail!(
            "the search is empty: say what to look for, e.g. classlens search \"confused about fractions\""
        );
    }
    for (flag, date) in [("--since", &args.since), ("--until", &args.until)] {
        if let Some(date) = date
            && !is_date(date)
        {
            bail!("{flag} {date}: not a date (YYYY-MM-DD)");
        }
    }
    let store = super::open_for_reading(db)?;
    let Some(source) = store.insight_source()? else {
        bail!(
            "{} has no analysed comments yet: run `classlens analyze` first",
            store.path().display()
        );
    };
    // The query is read by the encoder that read comments in its language.
    let route = Route::from_source(&source);
    let model = route.model_for(&language::detect(&query)).to_string();
    let encoder = if model::is_multilingual(&model) {
        load_multilingual(args.encoder.device)?
    } else {
        let (checked, key) = encoder_key(&args.encoder)?;
        if key != model {
            bail!(
                "the comments were analysed with {model}, not {key}: search with the encoder \
                 they were analysed with (--model-dir), or analyse them again"
            );
        }
        load_encoder(&args.encoder, checked)?
    };
    let started = std::time::Instant::now();
    let vector = encoder
        .encode_queries(&[query.as_str()], 1)?
        .into_iter()
        .next()
        .unwrap_or_default();
    let head = match &args.head {
        Some(path) => Some(load_head(Some(path))?.0),
        None if model::is_multilingual(&model) => SentimentHead::shipped_multilingual().ok(),
        None => SentimentHead::shipped().ok(),
    }
    .filter(|head| head.info.encoder == model);
    let topics = insights::stored_topics(&store, &model)?;
    let vector = search::Query::new(&query, vector, head.as_ref(), &topics, &model);
    let filter = CommentFilter {
        class_id: args.class.clone(),
        student_id: args.student.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        language: args.language.clone(),
    };
    // The index holds the English encoder's vectors; another model's are read from the database.
    let index = index::current(&store)?.filter(|_| model == route.english);
    if index.is_none() && model == route.english {
        eprintln!(
            "classlens: no current search index ({}); reading every vector from the database \
             (classlens analyze writes the index)",
            index::path_for(store.path()).display()
        );
    }
    let hits = search::search(
        &store,
        &model,
        &vector,
        &filter,
        args.limit as usize,
        index.as_ref(),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "query": args.query,
                "seconds": seconds,
                "index": index.as_ref().map(index::SearchIndex::len),
                "hits": hits,
            }))?
        );
        return Ok(());
    }
    if hits.is_empty() {
        println!("no analysed comments match these filters");
        return Ok(());
    }
    println!("score  cosine  when              class     student             sentiment  text");
    for h in &hits {
        let c = &h.comment;
        println!(
            "{:.3}  {:.3}   {}  {:<8}  {:<18}  {:<9}  {}",
            h.score,
            h.similarity,
            c.time,
            c.class_id,
            c.student.chars().take(18).collect::<String>(),
            c.sentiment.as_deref().unwrap_or("-"),
            c.text.chars().take(80).collect::<String>()
        );
    }
    Ok(())
}

fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && parts[0].len() == 4
        && parts[1].len() == 2
        && parts[2].len() == 2
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
}

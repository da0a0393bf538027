use anyhow::{Result, bail};

use super::analyze::{encoder_key, load_encoder, load_head};
use crate::cli::{DbArgs, SearchArgs};
use crate::store::insights::CommentFilter;
use crate::text::{index, insights, normalise, search};

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
    let (checked, model_key) = encoder_key(&args.encoder)?;
    if store.insight_source()?.is_none() {
        bail!(
            "{} has no analysed comments yet: run `classlens analyze` first",
            store.path().display()
        );
    }
    let encoder = load_encoder(&args.encoder, checked)?;
    let started = std::time::Instant::now();
    let vector = encoder
        .encode(&[query.as_str()], 1)?
        .into_iter()
        .next()
        .unwrap_or_default();
    let head = load_head(args.head.as_deref())?;
    let head = head
        .0
        .check_encoder(&model_key, &head.1)
        .is_ok()
        .then_some(head.0);
    let topics = insights::stored_topics(&store, &model_key)?;
    let vector = search::Query::new(&query, vector, head.as_ref(), &topics);
    let filter = CommentFilter {
        class_id: args.class.clone(),
        student_id: args.student.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
    };
    let index = index::current(&store)?;
    if index.is_none() {
        eprintln!(
            "classlens: no current search index ({}); reading every vector from the database \
             (classlens analyze writes the index)",
            index::path_for(store.path()).display()
        );
    }
    let hits = search::search(
        &store,
        &model_key,
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

use anyhow::Result;

use crate::cli::{DbArgs, EvalArgs};
use crate::recommend::ranker::Settings;
use crate::recommend::school;

pub fn run(db: &DbArgs, args: &EvalArgs) -> Result<()> {
    let store = super::open_for_reading(db)?;
    let (_, model) = super::analyze::encoder_key(&args.encoder)?;
    let a = Settings {
        gap_priority: args.gap_a,
        diversity: args.diversity_a,
    };
    let b = Settings {
        gap_priority: args.gap_b,
        diversity: args.diversity_b,
    };
    let e = school::evaluate(
        &store,
        &model,
        i64::from(args.weeks),
        args.k as usize,
        a,
        b,
        args.sample,
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&e)?);
        return Ok(());
    }
    let k = e.k;
    println!(
        "Held out: the last {} weeks; {} students opened something in them. The ranker learned \
         from {} rows ({} completions) of the {} weeks before.",
        args.weeks, e.students, e.training_rows, e.training_completions, args.weeks
    );
    println!();
    let width = e.methods.iter().map(|m| m.method.len()).max().unwrap_or(6);
    println!(
        "{:<width$}  P@{k:<3} R@{k:<3} NDCG@{k:<2} (95% interval)   coverage  diversity",
        "method"
    );
    for m in &e.methods {
        println!(
            "{:<width$}  {:.3}  {:.3}  {:.3}    ({:.3}-{:.3})     {:>5.1}%      {:.2}",
            m.method,
            m.precision,
            m.recall,
            m.ndcg,
            m.ndcg_low,
            m.ndcg_high,
            100.0 * m.coverage,
            m.diversity
        );
    }
    println!();
    println!("B against each baseline, paired over students (95% bootstrap intervals):");
    for v in &e.versus {
        println!(
            "  over {:<13} NDCG@{k} x{:.2} (x{:.2}-x{:.2}), {:+.3} ({:+.3} to {:+.3})",
            v.a, v.ratio, v.ratio_low, v.ratio_high, v.difference, v.low, v.high
        );
    }
    let ab = &e.ab;
    println!(
        "A/B, B minus A: {:+.3} NDCG@{k} (paired bootstrap 95% interval {:+.3} to {:+.3}){}",
        ab.difference,
        ab.low,
        ab.high,
        if ab.low > 0.0 {
            ": B is better"
        } else if ab.high < 0.0 {
            ": A is better"
        } else {
            ": no difference shown"
        }
    );
    println!("  A: {}\n  B: {}", ab.a, ab.b);
    println!();
    let weights: Vec<String> = e
        .weights
        .iter()
        .map(|(f, w)| format!("{f} {w:+.2}"))
        .collect();
    println!("Learned weights (log-odds per SD): {}", weights.join(", "));
    println!(
        "Relevant: a resource the student opened in the held-out weeks (NDCG gains 1 opened, 3 \
         completed). Coverage: share of the catalog suggested to anyone; diversity: mean \
         dissimilarity within a list (skill and kind)."
    );
    Ok(())
}

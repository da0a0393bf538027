use anyhow::Result;

use crate::ability::irt::{self, Fit, Model};
use crate::ability::matrix;
use crate::cli::IrtCommand;

pub fn run(command: IrtCommand) -> Result<()> {
    let IrtCommand::Fit(args) = command;
    let answers = matrix::read_csv(&args.file)?;
    let started = std::time::Instant::now();
    let fit = irt::fit(&answers.responses, args.model);
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let items: Vec<_> = answers
            .items
            .iter()
            .zip(&fit.items)
            .map(|(name, item)| serde_json::json!({ "item": name, "estimate": item }))
            .collect();
        let persons: Vec<_> = answers
            .persons
            .iter()
            .zip(&fit.abilities)
            .map(|(id, ability)| serde_json::json!({ "person": id, "estimate": ability }))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "file": args.file.display().to_string(),
                "model": fit.model,
                "persons": answers.persons.len(),
                "converged": fit.converged,
                "iterations": fit.iterations,
                "log_likelihood": fit.log_likelihood,
                "seconds": seconds,
                "items": items,
                "abilities": persons,
            }))?
        );
        return Ok(());
    }
    print_fit(&answers.items, &answers.persons, &fit);
    Ok(())
}

fn print_fit(items: &[String], persons: &[String], fit: &Fit) {
    let name = match fit.model {
        Model::Rasch => "Rasch",
        Model::TwoPl => "2PL",
    };
    println!(
        "{name} fit of {} items and {} persons: {} after {} EM iterations",
        items.len(),
        persons.len(),
        if fit.converged {
            "converged"
        } else {
            "NOT converged"
        },
        fit.iterations
    );
    println!();
    let width = items.iter().map(String::len).max().unwrap_or(4).max(4);
    println!(
        "{:<width$}  answered  right  difficulty (se)  discrimination (se)  infit  outfit  flags",
        "item"
    );
    for (item, e) in items.iter().zip(&fit.items) {
        let share = e
            .p_correct
            .map_or("-".into(), |p| format!("{:.0}%", 100.0 * p));
        let mean_square = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2}"));
        let flags: Vec<&str> = e.flags.iter().map(|f| f.name()).collect();
        println!(
            "{item:<width$}  {:>8}  {share:>5}  {:>7.2} ({:.2})  {:>11.2} ({:.2})  {:>5}  {:>6}  {}",
            e.answered,
            e.difficulty,
            e.difficulty_se,
            e.discrimination,
            e.discrimination_se,
            mean_square(e.infit),
            mean_square(e.outfit),
            flags.join(", ")
        );
    }
    println!();
    let width = persons.iter().map(String::len).max().unwrap_or(6).max(6);
    println!("{:<width$}  answered  ability (posterior sd)", "person");
    for (person, a) in persons.iter().zip(&fit.abilities) {
        println!(
            "{person:<width$}  {:>8}  {:>7.2} ({:.2})",
            a.answered, a.theta, a.sd
        );
    }
}

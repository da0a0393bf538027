use anyhow::{Result, bail};

use crate::cli::{DbArgs, RecommendArgs};
use crate::recommend::school;
use crate::store::recommend::Action;

pub fn run(db: &DbArgs, args: &RecommendArgs) -> Result<()> {
    let change = match (&args.pin, &args.hide, &args.clear) {
        (Some(r), _, _) => Some((r, Some(Action::Pin))),
        (_, Some(r), _) => Some((r, Some(Action::Hide))),
        (_, _, Some(r)) => Some((r, None)),
        _ => None,
    };
    let store = match change {
        Some((resource, action)) => {
            let mut store = super::open_for_writing(db)?;
            if store.ranker_source()?.is_none() {
                bail!("no suggestions yet: run `classlens analyze` first");
            }
            store.set_override(&args.student, resource, action)?;
            school::refresh_student(&mut store, &args.student)?;
            eprintln!(
                "classlens: {} {resource} for {}; their suggestions are recomputed",
                match action {
                    Some(Action::Pin) => "pinned",
                    Some(Action::Hide) => "hid",
                    None => "cleared",
                },
                args.student
            );
            store
        }
        None => super::open_for_reading(db)?,
    };
    if store.ranker_source()?.is_none() {
        bail!("no suggestions yet: run `classlens analyze` first");
    }
    let mut suggestions = store.student_recommendations(&args.student)?;
    suggestions.truncate(args.k as usize);
    let path = store.student_path(&args.student)?;
    if suggestions.is_empty() && path.is_empty() && store.student_class(&args.student)?.is_none() {
        bail!("no student {:?} in the database", args.student);
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "student": args.student,
                "suggestions": suggestions,
                "learning_path": path,
            }))?
        );
        return Ok(());
    }
    if suggestions.is_empty() {
        println!("No suggestions: every resource is hidden for this student.");
    } else {
        println!("Suggested next for {}:", args.student);
    }
    for s in &suggestions {
        println!(
            "{:>2}. {} [{}] {} ({}){}",
            s.rank,
            s.resource_id,
            s.kind,
            s.title,
            if s.skill.is_empty() {
                "no skill"
            } else {
                &s.skill
            },
            if s.pinned { " [pinned]" } else { "" }
        );
        if !s.reasons.is_empty() {
            println!("    {}", s.reasons.join("; "));
        }
    }
    println!();
    if path.is_empty() {
        println!("Learning path: nothing to work on first; every skill in reach is mastered.");
    } else {
        println!("Learning path (prerequisites first):");
        for step in &path {
            println!(
                "{:>2}. {}: {}{}",
                step.step,
                step.skill,
                step.why,
                match (&step.resource_id, &step.resource) {
                    (Some(id), Some(title)) => format!(" -> {id} {title}"),
                    _ => " -> no resource left for it".to_string(),
                }
            );
        }
    }
    Ok(())
}

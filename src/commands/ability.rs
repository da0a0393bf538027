use anyhow::{Result, bail};

use crate::ability::explain::{self, Explanation};
use crate::ability::mastery::WeekEstimate;
use crate::cli::{AbilityArgs, DbArgs};

pub fn run(db: &DbArgs, args: &AbilityArgs) -> Result<()> {
    let store = super::open_for_reading(db)?;
    if store.ability_source_stored()?.is_none() {
        bail!("no abilities yet: run `classlens analyze` first");
    }
    let skills = store.student_abilities(&args.student)?;
    if skills.is_empty() {
        bail!(
            "no abilities for student {:?}: no such student, or no answers yet",
            args.student
        );
    }
    let answers = store.student_answers(&args.student)?;
    let trends = store.student_trends(&args.student)?;
    let mastery = store.student_mastery(&args.student)?;
    let risk = store.student_risk(&args.student)?;
    let explanations: Vec<Explanation> = explain::student(&skills, &answers, &trends);
    let weeks_of = |skill_id: &str| -> Vec<WeekEstimate> {
        mastery
            .iter()
            .filter(|(s, _)| s == skill_id)
            .map(|(_, w)| *w)
            .collect()
    };
    if args.json {
        let skills: Vec<_> = skills
            .iter()
            .zip(&explanations)
            .map(|(s, e)| {
                serde_json::json!({
                    "skill": s,
                    "explanation": e,
                    "weeks": weeks_of(&s.skill_id),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "student": args.student,
                "at_risk": risk,
                "skills": skills,
            }))?
        );
        return Ok(());
    }
    let width = skills
        .iter()
        .map(|s| s.skill.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    if risk.is_empty() {
        println!("At risk: no rule fired.");
    } else {
        println!("At risk:");
        for flag in &risk {
            println!("  {}: {}", flag.rule.replace('_', " "), flag.reason);
        }
    }
    println!();
    println!(
        "{:<width$}  ability (±1 sd)   answers  class mean  week by week (week: ability)",
        "skill"
    );
    for s in &skills {
        let weeks: Vec<String> = weeks_of(&s.skill_id)
            .iter()
            .map(|w| format!("{}: {:.1}", w.week + 1, w.theta))
            .collect();
        println!(
            "{:<width$}  {:>5.2} ± {:<4.2}       {:>5}  {:>10.2}  {}",
            s.skill,
            s.theta,
            s.sd,
            s.answered,
            s.class_mean,
            weeks.join(", ")
        );
    }
    println!();
    for e in &explanations {
        println!("{}", e.summary);
    }
    println!();
    println!(
        "Abilities are on each skill's own scale: 0 is the school's average, 1 one standard \
         deviation above. ± is one posterior SD: wide means little evidence. Weeks count from the \
         first week of the data."
    );
    Ok(())
}

use anyhow::{Result, bail};

use crate::ability::explain::{self, Explanation};
use crate::ability::irt::ScoredAnswer;
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
    let explanations: Vec<Explanation> = skills
        .iter()
        .map(|s| {
            let evidence: Vec<(String, ScoredAnswer)> = answers
                .iter()
                .filter(|a| a.skill_id == s.skill_id)
                .map(|a| {
                    let scored = ScoredAnswer {
                        difficulty: a.difficulty,
                        discrimination: a.discrimination,
                        correct: a.correct,
                    };
                    (a.item_id.clone(), scored)
                })
                .collect();
            explain::explain(&s.skill, s.class_mean, &evidence)
        })
        .collect();
    if args.json {
        let skills: Vec<_> = skills
            .iter()
            .zip(&explanations)
            .map(|(s, e)| serde_json::json!({ "skill": s, "explanation": e }))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "student": args.student,
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
    println!("{:<width$}  ability (±1 sd)   answers  class mean", "skill");
    for s in &skills {
        println!(
            "{:<width$}  {:>5.2} ± {:<4.2}       {:>5}  {:>10.2}",
            s.skill, s.theta, s.sd, s.answered, s.class_mean
        );
    }
    println!();
    for e in &explanations {
        println!("{}", e.summary);
    }
    println!();
    println!(
        "Abilities are on each skill's own scale: 0 is the school's average, 1 one standard \
         deviation above. ± is one posterior SD: wide means little evidence."
    );
    Ok(())
}

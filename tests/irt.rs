//! Item response theory: recovery of simulated 2PL parameters, agreement with
//! the peer (girth 0.8.0, fitted once; see fixtures/README.md), defined answers
//! for degenerate data, and `classlens irt fit` on CSV files.

mod common;

use std::path::Path;

use classlens::ability::irt::{self, ItemFlag, Model, Responses};
use classlens::ability::matrix;
use common::{classlens, write};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/irt")
        .join(name)
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let vy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    cov / (vx * vy).sqrt()
}

fn simulated() -> (matrix::AnswerMatrix, irt::Fit, irt::Fit) {
    let answers = matrix::read_csv(&fixture("sim-2000x40.csv")).unwrap();
    let two_pl = irt::fit(&answers.responses, Model::TwoPl);
    let rasch = irt::fit(&answers.responses, Model::Rasch);
    (answers, two_pl, rasch)
}

#[test]
fn simulated_2pl_parameters_are_recovered_and_match_girth() {
    let (answers, fit, rasch) = simulated();
    assert_eq!(answers.responses.persons(), 2000);
    assert!(fit.converged && rasch.converged);
    let truth = json("sim-2000x40-truth.json");
    let a: Vec<f64> = fit.items.iter().map(|i| i.discrimination).collect();
    let b: Vec<f64> = fit.items.iter().map(|i| i.difficulty).collect();
    let theta: Vec<f64> = fit.abilities.iter().map(|p| p.theta).collect();
    let recovery = [
        correlation(&b, &numbers(&truth["difficulty"])),
        correlation(&a, &numbers(&truth["discrimination"])),
        correlation(&theta, &numbers(&truth["theta"])),
    ];
    eprintln!("recovery (b, a, theta): {recovery:.4?}");
    assert!(recovery[0] >= 0.98 && recovery[1] >= 0.90 && recovery[2] >= 0.90);

    let girth = json("girth-2000x40.json");
    let peer = &girth["models"]["2pl"];
    let agreement = [
        correlation(&b, &numbers(&peer["difficulty"])),
        correlation(&a, &numbers(&peer["discrimination"])),
        correlation(&theta, &numbers(&peer["abilities"])),
    ];
    let rasch_b: Vec<f64> = rasch.items.iter().map(|i| i.difficulty).collect();
    let rasch_agreement = correlation(&rasch_b, &numbers(&girth["models"]["rasch"]["difficulty"]));
    eprintln!("with girth (b, a, theta): {agreement:.4?}; rasch b {rasch_agreement:.4}");
    assert!(agreement.iter().all(|&r| r >= 0.99), "{agreement:?}");
    assert!(rasch_agreement >= 0.99);
    // Under Rasch every discrimination is 1, with no standard error.
    assert!(
        rasch
            .items
            .iter()
            .all(|i| i.discrimination == 1.0 && i.discrimination_se == 0.0)
    );
}

/// EM stops where it should: a thousand times tighter tolerance moves the
/// log-likelihood and the estimates by almost nothing.
#[test]
fn em_stops_at_the_optimum() {
    let answers = matrix::read_csv(&fixture("sim-2000x40.csv")).unwrap();
    for model in [Model::TwoPl, Model::Rasch] {
        let fit = irt::fit(&answers.responses, model);
        let tight = irt::fit_to(&answers.responses, model, 1e-6);
        eprintln!(
            "{model:?}: {} rounds, log-likelihood {:.4}; tight: {} rounds, {:.4}",
            fit.iterations, fit.log_likelihood, tight.iterations, tight.log_likelihood
        );
        assert!(tight.converged);
        assert!(tight.log_likelihood - fit.log_likelihood < 0.05);
        for (a, b) in fit.items.iter().zip(&tight.items) {
            assert!((a.difficulty - b.difficulty).abs() < 0.01);
            assert!((a.discrimination - b.discrimination).abs() < 0.01);
        }
    }
}

#[test]
fn standard_errors_shrink_with_evidence() {
    let (_, fit, _) = simulated();
    // 40 answers each: posterior SDs well under the prior's 1, every one finite.
    assert!(
        fit.abilities.iter().all(|p| p.sd > 0.2 && p.sd < 0.7),
        "{:?}",
        fit.abilities[0]
    );
    assert!(
        fit.items
            .iter()
            .all(|i| i.difficulty_se > 0.0 && i.difficulty_se < 0.2)
    );
    // Extreme items are known less precisely than middling ones.
    let easiest = fit
        .items
        .iter()
        .min_by(|x, y| x.difficulty.total_cmp(&y.difficulty))
        .unwrap();
    let middling = fit
        .items
        .iter()
        .min_by(|x, y| x.difficulty.abs().total_cmp(&y.difficulty.abs()))
        .unwrap();
    assert!(easiest.difficulty_se > middling.difficulty_se);
}

fn all_finite(fit: &irt::Fit) -> bool {
    fit.log_likelihood.is_finite()
        && fit
            .abilities
            .iter()
            .all(|p| p.theta.is_finite() && p.sd.is_finite())
        && fit.items.iter().all(|i| {
            [
                i.difficulty,
                i.difficulty_se,
                i.discrimination,
                i.discrimination_se,
            ]
            .iter()
            .chain(i.infit.iter())
            .chain(i.outfit.iter())
            .all(|v| v.is_finite())
        })
}

/// Degenerate data have defined answers and never a NaN: one item, an item
/// nobody answered, students all right or all wrong or with no answers, one student.
#[test]
fn degenerate_data_give_defined_answers() {
    let r = |cells: &str| -> Vec<Option<bool>> {
        cells
            .chars()
            .map(|c| match c {
                '1' => Some(true),
                '0' => Some(false),
                _ => None,
            })
            .collect()
    };
    let rows = vec![
        r("11.1"),
        r("00.0"),
        r("10.1"),
        r("01.0"),
        r("...."),
        r("1..0"),
    ];
    let responses = Responses::new(4, rows).unwrap();
    for model in [Model::Rasch, Model::TwoPl] {
        let fit = irt::fit(&responses, model);
        assert!(all_finite(&fit), "{model:?}: {fit:?}");
        // Item 3 was answered by nobody: the prior, flagged.
        assert_eq!(fit.items[2].answered, 0);
        assert!(fit.items[2].flags.contains(&ItemFlag::NoAnswers));
        assert!(fit.items[2].p_correct.is_none() && fit.items[2].infit.is_none());
        // No answers: the prior (0 +- 1). All right: above, all wrong: below, both wide.
        let none = fit.abilities[4];
        assert_eq!(none.answered, 0);
        assert!(
            none.theta.abs() < 1e-9 && (none.sd - 1.0).abs() < 1e-3,
            "{none:?}"
        );
        assert!(fit.abilities[0].theta > 0.3 && fit.abilities[1].theta < -0.3);
        assert!(fit.abilities[0].sd > 0.5);
    }
    // One item, one student.
    for (items, rows) in [(1, vec![r("1"), r("0"), r("1")]), (3, vec![r("101")])] {
        let fit = irt::fit(&Responses::new(items, rows).unwrap(), Model::TwoPl);
        assert!(all_finite(&fit), "{fit:?}");
    }
    // Nobody at all.
    let fit = irt::fit(&Responses::new(2, vec![]).unwrap(), Model::TwoPl);
    assert!(all_finite(&fit) && fit.abilities.is_empty());
}

#[test]
fn a_miskeyed_item_is_flagged() {
    let (answers, _, _) = simulated();
    // Item 1 with every answer flipped: the strong now get it wrong.
    let persons = answers.responses.persons();
    let rows: Vec<Vec<Option<bool>>> = (0..persons)
        .map(|i| {
            let line = matrix_row(&answers.responses, i);
            let mut row = line.clone();
            row[0] = line[0].map(|x| !x);
            row
        })
        .collect();
    let fit = irt::fit(&Responses::new(40, rows).unwrap(), Model::TwoPl);
    assert!(fit.items[0].discrimination < 0.0);
    assert!(
        fit.items[0]
            .flags
            .contains(&ItemFlag::NegativeDiscrimination)
    );
    assert!(
        fit.items[1..]
            .iter()
            .all(|i| !i.flags.contains(&ItemFlag::NegativeDiscrimination))
    );
}

fn matrix_row(responses: &Responses, person: usize) -> Vec<Option<bool>> {
    responses.row(person).to_vec()
}

#[test]
fn the_command_fits_a_csv_and_names_bad_cells() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "quiz.csv",
        "student_id,q1,q2,q3\nana,1,0,1\nbo,0,,0\ncy,1,1,NA\ndee,1,0,0\n",
    );
    let out = classlens(&[
        "irt",
        "fit",
        good.to_str().unwrap(),
        "--model",
        "rasch",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fit: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fit["persons"], 4);
    assert_eq!(fit["items"][1]["item"], "q2");
    assert_eq!(fit["items"][1]["estimate"]["answered"], 3);
    assert_eq!(fit["abilities"][1]["person"], "bo");
    assert_eq!(fit["abilities"][1]["estimate"]["answered"], 2);

    let text = classlens(&["irt", "fit", good.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.starts_with("2PL fit of 3 items and 4 persons"),
        "{stdout}"
    );
    assert!(stdout.contains("ana"));

    let bad = write(dir.path(), "bad.csv", "q1,q2\n1,0\n2,1\n1,yes\n");
    let out = classlens(&["irt", "fit", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.csv:3: q1: \"2\""), "{stderr}");
    assert!(stderr.contains("bad.csv:4: q2: \"yes\""), "{stderr}");
}

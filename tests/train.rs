//! `classlens train sentiment`: reproducible to the byte, and the head that
//! ships is the one the shipped data and command make.

mod common;

use std::path::Path;

use classlens::text::sentiment::SentimentHead;
use common::{classlens, fetched, succeeded};

fn train(out: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "train",
        "sentiment",
        "--json",
        "--out",
        out.to_str().unwrap(),
        "--model-dir",
        fetched().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = succeeded(classlens(&args));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_same_seed_gives_the_same_head_and_the_shipped_head_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a.safetensors"),
        dir.path().join("b.safetensors"),
    );
    let report = train(&a, &[]);
    train(&b, &[]);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(a.with_extension("md").exists() && a.with_extension("json").exists());
    // The targets of the issue, on held-out folds.
    assert!(
        report["polar_accuracy"].as_f64().unwrap() >= 0.88,
        "{report}"
    );
    assert!(report["ece_after"].as_f64().unwrap() < report["ece_before"].as_f64().unwrap());
    assert!(report["ece_after"].as_f64().unwrap() < 0.05);

    // The shipped head: same settings; weights equal up to the last bits that
    // another CPU's matrix kernels may change.
    let ours = SentimentHead::load(&a).unwrap();
    let shipped = SentimentHead::shipped().unwrap();
    assert_eq!(ours.info.encoder, shipped.info.encoder);
    assert!((ours.info.polar_threshold - shipped.info.polar_threshold).abs() < 0.011);
    assert!((ours.info.temperature - shipped.info.temperature).abs() < 0.01);
    let probe: Vec<f32> = (0..ours.info.dim)
        .map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5)
        .collect();
    let (x, y) = (ours.logits(&probe), shipped.logits(&probe));
    for k in 0..3 {
        assert!((x[k] - y[k]).abs() < 1e-2, "{x:?} vs {y:?}");
    }
}

#[test]
fn bad_training_data_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mine.csv");
    std::fs::write(&data, "text,label\ngreat,positive\nawful,terrible\n").unwrap();
    let out_path = dir.path().join("h.safetensors");
    let out = classlens(&[
        "train",
        "sentiment",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out_path.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mine.csv:3: field label: \"terrible\""),
        "{err}"
    );
    assert!(!out_path.exists());
}

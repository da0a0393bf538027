//! Sentiment of a comment: a softmax head (negative, neutral, positive) over the
//! frozen encoder's vectors, trained by `classlens train sentiment` (see
//! `train.rs`) and shipped as a small safetensors file. Probabilities are
//! calibrated by a temperature; a comment is called negative or positive only
//! when that probability reaches the polar threshold, neutral otherwise (the
//! band, both chosen on held-out data when the head was trained).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub const LABELS: [&str; 3] = ["negative", "neutral", "positive"];
pub const NEGATIVE: usize = 0;
pub const NEUTRAL: usize = 1;
pub const POSITIVE: usize = 2;

/// Bumped when the meaning of the file changes; older readers refuse newer files.
pub const FORMAT: u32 = 1;
/// The head that ships with classlens (trained on `fixtures/sentiment/`).
pub const SHIPPED: &[u8] = include_bytes!("../../models/sentiment-head.safetensors");
pub const SHIPPED_NAME: &str = "models/sentiment-head.safetensors";
/// The head over the multilingual encoder (English and Chinese sentences).
pub const SHIPPED_MULTILINGUAL: &[u8] =
    include_bytes!("../../models/sentiment-head-multilingual.safetensors");
pub const SHIPPED_MULTILINGUAL_NAME: &str = "models/sentiment-head-multilingual.safetensors";

const METADATA_KEY: &str = "classlens";

/// What the head file says about itself (one JSON string in the safetensors
/// metadata, so the bytes are the same on every run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadInfo {
    pub format: u32,
    /// The encoder whose vectors it was trained on (the embedding cache's key).
    pub encoder: String,
    pub dim: usize,
    /// Logits are divided by it before the softmax (fitted on held-out folds).
    pub temperature: f32,
    /// A polar label needs at least this probability; below it, neutral.
    pub polar_threshold: f32,
    /// The languages of its training data (ISO 639-1, comma-separated); texts
    /// in other languages are not scored.
    pub language: String,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SentimentHead {
    pub info: HeadInfo,
    /// `[3, dim]`, row-major, one row per label.
    weight: Vec<f32>,
    bias: [f32; 3],
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sentiment {
    pub label: &'static str,
    /// The calibrated probability of `label`.
    pub probability: f32,
    /// Calibrated probabilities of negative, neutral, positive.
    pub probabilities: [f32; 3],
}

#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error("cannot read the sentiment head {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a sentiment head: {reason}")]
    Invalid { path: String, reason: String },
    #[error(
        "{path} is a sentiment head of format {found}; this classlens reads format {FORMAT} \
         (retrain it with `classlens train sentiment`, or update classlens)"
    )]
    Format { path: String, found: u32 },
    #[error(
        "the sentiment head {path} was trained on the vectors of {head}, not of {encoder}; \
         train one for this model with `classlens train sentiment --model-dir ...`"
    )]
    Encoder {
        path: String,
        head: String,
        encoder: String,
    },
    #[error("cannot write the sentiment head {path}: {reason}")]
    Write { path: String, reason: String },
}

impl HeadInfo {
    /// Whether the head learnt from sentences in `language`.
    pub fn covers(&self, language: &str) -> bool {
        self.language.split(',').any(|l| l == language)
    }
}

impl SentimentHead {
    pub fn new(info: HeadInfo, weight: Vec<f32>, bias: [f32; 3]) -> Result<Self, HeadError> {
        let head = SentimentHead { info, weight, bias };
        head.validate("(new head)")?;
        Ok(head)
    }

    pub fn shipped() -> Result<Self, HeadError> {
        Self::from_bytes(SHIPPED, SHIPPED_NAME)
    }

    pub fn shipped_multilingual() -> Result<Self, HeadError> {
        Self::from_bytes(SHIPPED_MULTILINGUAL, SHIPPED_MULTILINGUAL_NAME)
    }

    pub fn load(path: &Path) -> Result<Self, HeadError> {
        let bytes = std::fs::read(path).map_err(|source| HeadError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// `path` names the file in errors.
    pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Self, HeadError> {
        let invalid = |reason: String| HeadError::Invalid {
            path: path.to_string(),
            reason,
        };
        let tensors = safetensors::SafeTensors::deserialize(bytes)
            .map_err(|e| invalid(format!("not a safetensors file ({e})")))?;
        let (_, metadata) = safetensors::SafeTensors::read_metadata(bytes)
            .map_err(|e| invalid(format!("unreadable header ({e})")))?;
        let json = metadata
            .metadata()
            .as_ref()
            .and_then(|m| m.get(METADATA_KEY))
            .ok_or_else(|| invalid(format!("no \"{METADATA_KEY}\" entry in its metadata")))?;
        // The format is read first, so a newer file gets "update classlens", not a parse error.
        let format = serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| v.get("format").and_then(serde_json::Value::as_u64))
            .ok_or_else(|| invalid("its metadata has no format number".into()))?;
        if format != u64::from(FORMAT) {
            return Err(HeadError::Format {
                path: path.to_string(),
                found: u32::try_from(format).unwrap_or(u32::MAX),
            });
        }
        let info: HeadInfo = serde_json::from_str(json)
            .map_err(|e| invalid(format!("its metadata does not parse ({e})")))?;
        let read = |name: &str, shape: &[usize]| -> Result<Vec<f32>, HeadError> {
            let view = tensors
                .tensor(name)
                .map_err(|_| invalid(format!("no tensor \"{name}\"")))?;
            if view.dtype() != safetensors::Dtype::F32 {
                return Err(invalid(format!(
                    "\"{name}\" is {:?}, not F32",
                    view.dtype()
                )));
            }
            if view.shape() != shape {
                return Err(invalid(format!(
                    "\"{name}\" has shape {:?}, not {shape:?}",
                    view.shape()
                )));
            }
            Ok(view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect())
        };
        let weight = read("weight", &[3, info.dim])?;
        let bias = read("bias", &[3])?;
        let head = SentimentHead {
            info,
            weight,
            bias: [bias[0], bias[1], bias[2]],
        };
        head.validate(path)?;
        Ok(head)
    }

    fn validate(&self, path: &str) -> Result<(), HeadError> {
        let invalid = |reason: &str| HeadError::Invalid {
            path: path.to_string(),
            reason: reason.to_string(),
        };
        if self.info.dim == 0 || self.weight.len() != 3 * self.info.dim {
            return Err(invalid("its weights do not match its dimension"));
        }
        if !self.weight.iter().chain(&self.bias).all(|w| w.is_finite()) {
            return Err(invalid("it holds values that are not finite numbers"));
        }
        let t = self.info.temperature;
        if !(t.is_finite() && t > 0.0) {
            return Err(invalid("its temperature is not a positive number"));
        }
        let p = self.info.polar_threshold;
        if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
            return Err(invalid("its polar threshold is not a probability"));
        }
        Ok(())
    }

    /// The file's bytes: the same head gives the same bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, HeadError> {
        let write_error = |reason: String| HeadError::Write {
            path: "(memory)".into(),
            reason,
        };
        let weight: Vec<u8> = self.weight.iter().flat_map(|w| w.to_le_bytes()).collect();
        let bias: Vec<u8> = self.bias.iter().flat_map(|w| w.to_le_bytes()).collect();
        let views = [
            (
                "bias",
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![3], &bias)
                    .map_err(|e| write_error(e.to_string()))?,
            ),
            (
                "weight",
                safetensors::tensor::TensorView::new(
                    safetensors::Dtype::F32,
                    vec![3, self.info.dim],
                    &weight,
                )
                .map_err(|e| write_error(e.to_string()))?,
            ),
        ];
        let json = serde_json::to_string(&self.info).map_err(|e| write_error(e.to_string()))?;
        let metadata = HashMap::from([(METADATA_KEY.to_string(), json)]);
        safetensors::serialize(views, Some(metadata)).map_err(|e| write_error(e.to_string()))
    }

    pub fn save(&self, path: &Path) -> Result<(), HeadError> {
        let bytes = self.to_bytes()?;
        std::fs::write(path, bytes).map_err(|e| HeadError::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Refuses vectors of another encoder: a head means nothing on them.
    pub fn check_encoder(&self, encoder: &str, path: &str) -> Result<(), HeadError> {
        if self.info.encoder == encoder {
            Ok(())
        } else {
            Err(HeadError::Encoder {
                path: path.to_string(),
                head: self.info.encoder.clone(),
                encoder: encoder.to_string(),
            })
        }
    }

    pub fn logits(&self, vector: &[f32]) -> [f32; 3] {
        let mut logits = self.bias;
        for (label, logit) in logits.iter_mut().enumerate() {
            let row = &self.weight[label * self.info.dim..(label + 1) * self.info.dim];
            *logit += row.iter().zip(vector).map(|(w, x)| w * x).sum::<f32>();
        }
        logits
    }

    pub fn score(&self, vector: &[f32]) -> Sentiment {
        let probabilities = softmax(self.logits(vector), self.info.temperature);
        decide(probabilities, self.info.polar_threshold)
    }
}

pub fn softmax(logits: [f32; 3], temperature: f32) -> [f32; 3] {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e = logits.map(|l| ((l - max) / temperature).exp());
    let sum: f32 = e.iter().sum();
    e.map(|x| x / sum)
}

/// The label of calibrated probabilities: the likelier polar label if its
/// probability reaches `polar_threshold`, else neutral.
pub fn decide(probabilities: [f32; 3], polar_threshold: f32) -> Sentiment {
    let polar = if probabilities[POSITIVE] >= probabilities[NEGATIVE] {
        POSITIVE
    } else {
        NEGATIVE
    };
    let label = if probabilities[polar] >= polar_threshold {
        polar
    } else {
        NEUTRAL
    };
    Sentiment {
        label: LABELS[label],
        probability: probabilities[label],
        probabilities,
    }
}

pub fn label_index(label: &str) -> Option<usize> {
    LABELS.iter().position(|l| *l == label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> SentimentHead {
        SentimentHead::new(
            HeadInfo {
                format: FORMAT,
                encoder: "m@1".into(),
                dim: 2,
                temperature: 1.5,
                polar_threshold: 0.6,
                language: "en".into(),
                seed: 7,
            },
            vec![-1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            [0.0, 0.5, 0.0],
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn round_trip_keeps_every_bit() {
        let h = head();
        let bytes = h.to_bytes().unwrap_or_else(|e| panic!("{e}"));
        let back = SentimentHead::from_bytes(&bytes, "x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, h);
        assert_eq!(back.to_bytes().ok(), Some(bytes));
    }

    #[test]
    fn the_band_makes_neutral() {
        let h = head();
        assert_eq!(h.score(&[3.0, 0.0]).label, "positive");
        assert_eq!(h.score(&[-3.0, 0.0]).label, "negative");
        assert_eq!(h.score(&[0.3, 0.0]).label, "neutral");
        let s = h.score(&[0.3, 0.0]);
        assert!((s.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert_eq!(s.probability, s.probabilities[NEUTRAL]);
    }

    #[test]
    fn wrong_files_say_what_is_wrong() {
        let err = |bytes: &[u8]| {
            SentimentHead::from_bytes(bytes, "h.safetensors")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err(b"hello").contains("h.safetensors is not a sentiment head: not a safetensors"));
        let good = head().to_bytes().unwrap_or_default();
        assert!(err(&good[..good.len() - 4]).contains("not a safetensors file"));
        let mut newer = head();
        newer.info.format = FORMAT + 1;
        let newer = newer.to_bytes().unwrap_or_default();
        assert!(err(&newer).contains("format 2; this classlens reads format 1"));
        let mut nan = head();
        nan.weight[0] = f32::NAN;
        assert!(err(&nan.to_bytes().unwrap_or_default()).contains("not finite"));
        let e = head()
            .check_encoder("other@2", "h")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("trained on the vectors of m@1, not of other@2"),
            "{e}"
        );
    }
}

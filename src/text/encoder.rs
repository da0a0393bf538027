//! The encoder: texts in, L2-normalised sentence vectors out. Either a BERT
//! folder read the way sentence-transformers reads it (no padding in the
//! tokenizer, truncation at 256 tokens, mean pooling over the attention mask),
//! or the multilingual 4-bit e5 of [`super::e5`].

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;

use super::bert::{Bert, Precision, mean_pool_normalised};
use super::e5::{E5, E5Error, Role};
use tokenizers::{Tokenizer, TruncationParams};

/// Characters kept of one text before tokenising: far more than 256 tokens
/// ever span, so the cut never changes a vector, and a 100 KB paste costs
/// no more than a paragraph.
const MAX_CHARS: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    #[error("cannot load the tokenizer {}: {reason}", path.display())]
    Tokenizer {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("cannot read the model config {}: {reason}", path.display())]
    Config {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("tokenising failed: {0}")]
    Tokenize(String),
    #[error("the encoder failed: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("{0}")]
    Device(String),
    #[error(transparent)]
    E5(#[from] E5Error),
}

/// Where the encoder runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    /// A GPU if this build has CUDA and one is there, else the CPU.
    Auto,
    Cpu,
    Cuda(usize),
}

impl std::str::FromStr for DeviceChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(DeviceChoice::Auto),
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda(0)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(DeviceChoice::Cuda)
                .ok_or_else(|| format!("unknown device {other:?}: use auto, cpu, cuda or cuda:N")),
        }
    }
}

fn device(choice: DeviceChoice) -> Result<Device, EncoderError> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Auto => Ok(Device::cuda_if_available(0).unwrap_or(Device::Cpu)),
        DeviceChoice::Cuda(n) => Device::new_cuda(n).map_err(|e| {
            EncoderError::Device(format!(
                "cannot use cuda:{n} ({e}); this build needs `--features cuda` and an NVIDIA GPU, or use --device cpu"
            ))
        }),
    }
}

pub struct Encoder {
    backend: Backend,
    device: Device,
    dim: usize,
}

enum Backend {
    Bert {
        model: Bert,
        tokenizer: Box<Tokenizer>,
        precision: Precision,
    },
    E5(Box<E5>),
}

/// A passage's own tokens, as BERT counts them (`<s>` and `</s>` included):
/// without the `passage: ` prefix, so a text the tokenizer drops entirely counts 2.
fn own_tokens(e5: &E5, with_prefix: usize) -> usize {
    let prefix = e5.token_ids("", Role::Passage).len().saturating_sub(2);
    with_prefix.saturating_sub(prefix).max(2)
}

/// One tokenised text, ready to batch.
struct Tokens {
    index: usize,
    ids: Vec<u32>,
}

impl Encoder {
    /// Loads a BERT folder (config.json, tokenizer.json, model.safetensors),
    /// in the fastest precision the device has (see [`Precision::fastest`]).
    pub fn load(
        dir: &Path,
        choice: DeviceChoice,
        max_tokens: usize,
    ) -> Result<Encoder, EncoderError> {
        Encoder::load_with_precision(dir, choice, max_tokens, None)
    }

    /// Like [`Encoder::load`]; `precision` None picks the fastest.
    pub fn load_with_precision(
        dir: &Path,
        choice: DeviceChoice,
        max_tokens: usize,
        precision: Option<Precision>,
    ) -> Result<Encoder, EncoderError> {
        let device = device(choice)?;
        let precision = precision.unwrap_or_else(|| Precision::fastest(&device));
        if device.is_cpu() {
            keep_freed_memory();
        }
        let config_path = dir.join("config.json");
        let config: Config = std::fs::read_to_string(&config_path)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
            .map_err(|reason| EncoderError::Config {
                path: config_path.clone(),
                reason,
            })?;
        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| EncoderError::Tokenizer {
                path: tokenizer_path.clone(),
                reason: e.to_string(),
            })?;
        // The shipped tokenizer.json pads and truncates at 128; sentence-transformers
        // does neither in the tokenizer and truncates at max_seq_length.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| EncoderError::Tokenizer {
                path: tokenizer_path.clone(),
                reason: e.to_string(),
            })?;
        // SAFETY of the mmap: the file is the verified model, not written while in use.
        let weights = [dir.join("model.safetensors")];
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&weights, DType::F32, &device)? };
        let model = Bert::load(vb, &config, precision)?;
        Ok(Encoder {
            backend: Backend::Bert {
                model,
                tokenizer: Box::new(tokenizer),
                precision,
            },
            device,
            dim: config.hidden_size,
        })
    }

    /// Loads the multilingual encoder from its E5S1 file.
    pub fn load_multilingual(file: &Path, choice: DeviceChoice) -> Result<Encoder, EncoderError> {
        let device = device(choice)?;
        let e5 = E5::load(file, &device)?;
        Ok(Encoder {
            dim: e5.dim(),
            backend: Backend::E5(Box::new(e5)),
            device,
        })
    }

    pub fn is_multilingual(&self) -> bool {
        matches!(self.backend, Backend::E5(_))
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn device_name(&self) -> &'static str {
        if self.device.is_cuda() { "cuda" } else { "cpu" }
    }

    /// The BERT encoder's precision; the multilingual one computes in f32
    /// between its 4-bit products (see [`Encoder::precision_name`]).
    pub fn precision(&self) -> Precision {
        match &self.backend {
            Backend::Bert { precision, .. } => *precision,
            Backend::E5(_) => Precision::F32,
        }
    }

    pub fn precision_name(&self) -> &'static str {
        match &self.backend {
            Backend::Bert { precision, .. } => precision.name(),
            Backend::E5(_) => "q4",
        }
    }

    /// Tokens per text after truncation, [CLS] and [SEP] included (for the
    /// multilingual encoder, every window's, without its `passage: ` prefix).
    pub fn count_tokens(&self, text: &str) -> Result<usize, EncoderError> {
        match &self.backend {
            Backend::Bert { tokenizer, .. } => {
                let encoding = tokenizer
                    .encode(clip(text), true)
                    .map_err(|e| EncoderError::Tokenize(e.to_string()))?;
                Ok(encoding.get_ids().len())
            }
            Backend::E5(e5) => Ok(own_tokens(
                e5,
                e5.token_ids(clip(text), Role::Passage).len(),
            )),
        }
    }

    /// Vectors of texts that are searched with: the multilingual encoder reads
    /// them as queries, the BERT one as any text.
    pub fn encode_queries(
        &self,
        texts: &[&str],
        batch_size: usize,
    ) -> Result<Vec<Vec<f32>>, EncoderError> {
        match &self.backend {
            Backend::Bert { .. } => self.encode(texts, batch_size),
            Backend::E5(e5) => {
                let clipped: Vec<&str> = texts.iter().map(|t| clip(t)).collect();
                Ok(e5.encode(&clipped, Role::Query, batch_size)?)
            }
        }
    }

    /// One vector per text, in order. Texts are batched by similar length so
    /// that little padding is computed.
    pub fn encode(&self, texts: &[&str], batch_size: usize) -> Result<Vec<Vec<f32>>, EncoderError> {
        Ok(self
            .encode_counted(texts, batch_size)?
            .into_iter()
            .map(|(v, _)| v)
            .collect())
    }

    /// Like [`Encoder::encode`], each vector with the number of tokens it was made from.
    pub fn encode_counted(
        &self,
        texts: &[&str],
        batch_size: usize,
    ) -> Result<Vec<(Vec<f32>, usize)>, EncoderError> {
        let (model, tokenizer) = match &self.backend {
            Backend::Bert {
                model, tokenizer, ..
            } => (model, tokenizer),
            Backend::E5(e5) => {
                let clipped: Vec<&str> = texts.iter().map(|t| clip(t)).collect();
                return Ok(e5
                    .encode_counted(&clipped, Role::Passage, batch_size)?
                    .into_iter()
                    .map(|(vector, tokens)| (vector, own_tokens(e5, tokens)))
                    .collect());
            }
        };
        let mut tokens = Vec::with_capacity(texts.len());
        for (index, text) in texts.iter().enumerate() {
            let encoding = tokenizer
                .encode(clip(text), true)
                .map_err(|e| EncoderError::Tokenize(e.to_string()))?;
            tokens.push(Tokens {
                index,
                ids: encoding.get_ids().to_vec(),
            });
        }
        tokens.sort_by_key(|t| t.ids.len());
        let mut out = vec![(Vec::new(), 0); texts.len()];
        for batch in tokens.chunks(batch_size.max(1)) {
            let vectors = self.encode_batch(model, batch)?;
            for (t, v) in batch.iter().zip(vectors) {
                out[t.index] = (v, t.ids.len());
            }
        }
        Ok(out)
    }

    fn encode_batch(&self, model: &Bert, batch: &[Tokens]) -> Result<Vec<Vec<f32>>, EncoderError> {
        let lengths: Vec<usize> = batch.iter().map(|t| t.ids.len()).collect();
        let width = lengths.iter().copied().max().unwrap_or(0).max(1);
        let mut ids = Vec::with_capacity(batch.len() * width);
        for t in batch {
            ids.extend_from_slice(&t.ids);
            // Pad id 0 is BERT's [PAD]; the lengths keep it out of attention and pooling.
            ids.extend(std::iter::repeat_n(0u32, width - t.ids.len()));
        }
        let ids = Tensor::from_vec(ids, (batch.len(), width), &self.device)?;
        let hidden = model.forward(&ids, &lengths)?;
        Ok(mean_pool_normalised(&hidden, &lengths)?)
    }
}

/// Every layer allocates its output afresh. glibc serves blocks over 128 KB
/// with mmap and gives them back on free, so each new one page-faults in and is
/// zeroed by the kernel: 12% of analyze's time. Keeping blocks up to 32 MB on
/// the heap, and the heap from shrinking, lets freed blocks be reused.
pub(crate) fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before the
    // encoder runs, and other threads' allocations stay valid whatever it does.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

/// At most MAX_CHARS characters, cut on a character boundary.
pub fn clip(text: &str) -> &str {
    match text.char_indices().nth(MAX_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_parse() {
        assert_eq!("auto".parse(), Ok(DeviceChoice::Auto));
        assert_eq!("cuda:1".parse(), Ok(DeviceChoice::Cuda(1)));
        assert!("tpu".parse::<DeviceChoice>().is_err());
    }

    #[test]
    fn clipping_keeps_whole_characters() {
        let long = "é".repeat(MAX_CHARS + 10);
        assert_eq!(clip(&long).chars().count(), MAX_CHARS);
        assert_eq!(clip("short"), "short");
    }
}

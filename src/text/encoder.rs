//! The BERT encoder: texts in, L2-normalised sentence vectors out, the way
//! sentence-transformers makes them (no padding in the tokenizer, truncation
//! at 256 tokens, mean pooling over the attention mask).

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;

use super::bert::{Bert, Precision, mean_pool_normalised};
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
    model: Bert,
    tokenizer: Tokenizer,
    device: Device,
    precision: Precision,
    dim: usize,
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
            model,
            tokenizer,
            device,
            precision,
            dim: config.hidden_size,
        })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn device_name(&self) -> &'static str {
        if self.device.is_cuda() { "cuda" } else { "cpu" }
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Tokens per text after truncation, [CLS] and [SEP] included.
    pub fn count_tokens(&self, text: &str) -> Result<usize, EncoderError> {
        let encoding = self
            .tokenizer
            .encode(clip(text), true)
            .map_err(|e| EncoderError::Tokenize(e.to_string()))?;
        Ok(encoding.get_ids().len())
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
        let mut tokens = Vec::with_capacity(texts.len());
        for (index, text) in texts.iter().enumerate() {
            let encoding = self
                .tokenizer
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
            let vectors = self.encode_batch(batch)?;
            for (t, v) in batch.iter().zip(vectors) {
                out[t.index] = (v, t.ids.len());
            }
        }
        Ok(out)
    }

    fn encode_batch(&self, batch: &[Tokens]) -> Result<Vec<Vec<f32>>, EncoderError> {
        let lengths: Vec<usize> = batch.iter().map(|t| t.ids.len()).collect();
        let width = lengths.iter().copied().max().unwrap_or(0).max(1);
        let mut ids = Vec::with_capacity(batch.len() * width);
        for t in batch {
            ids.extend_from_slice(&t.ids);
            // Pad id 0 is BERT's [PAD]; the lengths keep it out of attention and pooling.
            ids.extend(std::iter::repeat_n(0u32, width - t.ids.len()));
        }
        let ids = Tensor::from_vec(ids, (batch.len(), width), &self.device)?;
        let hidden = self.model.forward(&ids, &lengths)?;
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

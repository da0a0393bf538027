//! BERT's encoder stack, shaped for sentence vectors on a small CPU.
//!
//! The arithmetic is the same as `candle_transformers::models::bert` (and
//! HuggingFace's): the parity test holds both to sentence-transformers. What
//! differs is the work around the matrix products, which took half the time on
//! a 2-core server: hidden states stay one `[tokens, hidden]` matrix, Q, K and V
//! come from one product with the attention scale folded into Q's weights, the
//! softmax and layer norm are candle's single-pass kernels, and GELU uses an
//! erf that vectorises (the scalar libm erf was 15% of all time).

use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Shape, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{Config, HiddenAct};

use super::bf16::{Bf16Linear, PlusResidual, WithGelu};

/// The number format of the linear layers' products (everything else is f32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F32,
    /// bfloat16 inputs, f32 sums: about twice the speed on CPUs with
    /// AVX512-BF16, within a cosine of 1e-4 of f32.
    Bf16,
}

impl Precision {
    /// bfloat16 where the CPU has the instructions for it, else f32.
    pub fn fastest(device: &Device) -> Precision {
        if device.is_cpu() && Bf16Linear::supported() {
            Precision::Bf16
        } else {
            Precision::F32
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Bf16 => "bf16",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "f32" => Ok(Precision::F32),
            "bf16" => Ok(Precision::Bf16),
            other => Err(format!("unknown precision {other:?}: use f32 or bf16")),
        }
    }
}

/// One linear layer, `x W^T + b`.
enum Dense {
    F32 { weight_t: Tensor, bias: Tensor },
    Bf16(Bf16Linear),
}

impl Dense {
    fn load(
        vb: &VarBuilder,
        inputs: usize,
        outputs: usize,
        precision: Precision,
    ) -> candle_core::Result<Dense> {
        Dense::new(
            vb.get((outputs, inputs), "weight")?,
            vb.get(outputs, "bias")?,
            precision,
        )
    }

    fn new(weight: Tensor, bias: Tensor, precision: Precision) -> candle_core::Result<Dense> {
        if precision == Precision::Bf16 && weight.device().is_cpu() {
            let (outputs, inputs) = weight.dims2()?;
            let packed = Bf16Linear::pack(
                &weight.flatten_all()?.to_vec1::<f32>()?,
                &bias.to_vec1::<f32>()?,
                outputs,
                inputs,
            );
            if let Some(packed) = packed {
                return Ok(Dense::Bf16(packed));
            }
        }
        // Stored transposed once so that every product reads it row-major.
        Ok(Dense::F32 {
            weight_t: weight.t()?.contiguous()?,
            bias,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Dense::F32 { weight_t, bias } => x.matmul(weight_t)?.broadcast_add(bias),
            Dense::Bf16(packed) => x.contiguous()?.apply_op1_no_bwd(packed),
        }
    }

    /// `act(x W^T + b)`, in one pass where the layer is bfloat16.
    fn forward_act(&self, x: &Tensor, act: HiddenAct) -> candle_core::Result<Tensor> {
        match self {
            Dense::Bf16(packed) if act == HiddenAct::Gelu => {
                x.contiguous()?.apply_op1_no_bwd(&WithGelu(packed))
            }
            _ => gelu(&self.forward(x)?, act),
        }
    }

    /// `x W^T + b + residual`, in one pass where the layer is bfloat16.
    fn forward_plus(&self, x: &Tensor, residual: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Dense::Bf16(packed) => x
                .contiguous()?
                .apply_op2_no_bwd(&residual.contiguous()?, &PlusResidual(packed)),
            _ => self.forward(x)? + residual,
        }
    }
}

struct LayerNorm {
    gamma: Tensor,
    beta: Tensor,
    eps: f32,
}

impl LayerNorm {
    fn load(vb: &VarBuilder, size: usize, eps: f64) -> candle_core::Result<LayerNorm> {
        Ok(LayerNorm {
            gamma: vb.get(size, "weight")?,
            beta: vb.get(size, "bias")?,
            eps: eps as f32,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::layer_norm(&x.contiguous()?, &self.gamma, &self.beta, self.eps)
    }
}

struct Layer {
    qkv: Dense,
    attention_out: Dense,
    attention_norm: LayerNorm,
    intermediate: Dense,
    output: Dense,
    output_norm: LayerNorm,
}

impl Layer {
    fn load(vb: &VarBuilder, config: &Config, precision: Precision) -> candle_core::Result<Layer> {
        let hidden = config.hidden_size;
        let heads = config.num_attention_heads;
        let attention = vb.pp("attention");
        let own = attention.pp("self");
        let part = |name: &str| -> candle_core::Result<(Tensor, Tensor)> {
            let vb = own.pp(name);
            Ok((vb.get((hidden, hidden), "weight")?, vb.get(hidden, "bias")?))
        };
        let (q_weight, q_bias) = part("query")?;
        let (k_weight, k_bias) = part("key")?;
        let (v_weight, v_bias) = part("value")?;
        // softmax(QK^T / sqrt(d)): scaling Q's weights once saves a pass per layer.
        let scale = 1.0 / ((hidden / heads) as f64).sqrt();
        let qkv = Dense::new(
            Tensor::cat(&[(q_weight * scale)?, k_weight, v_weight], 0)?,
            Tensor::cat(&[(q_bias * scale)?, k_bias, v_bias], 0)?,
            precision,
        )?;
        let out = attention.pp("output");
        let intermediate = config.intermediate_size;
        Ok(Layer {
            qkv,
            attention_out: Dense::load(&out.pp("dense"), hidden, hidden, precision)?,
            attention_norm: LayerNorm::load(&out.pp("LayerNorm"), hidden, config.layer_norm_eps)?,
            intermediate: Dense::load(
                &vb.pp("intermediate").pp("dense"),
                hidden,
                intermediate,
                precision,
            )?,
            output: Dense::load(
                &vb.pp("output").pp("dense"),
                intermediate,
                hidden,
                precision,
            )?,
            output_norm: LayerNorm::load(
                &vb.pp("output").pp("LayerNorm"),
                hidden,
                config.layer_norm_eps,
            )?,
        })
    }
}

/// The embeddings and encoder layers of a BERT model, without the pooler.
pub struct Bert {
    word_embeddings: Tensor,
    position_embeddings: Tensor,
    token_type_embedding: Tensor,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    act: HiddenAct,
}

impl Bert {
    pub fn load(
        vb: VarBuilder,
        config: &Config,
        precision: Precision,
    ) -> candle_core::Result<Bert> {
        // Checkpoints exported from a BertModel name their tensors with or without
        // a "bert." prefix.
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let hidden = config.hidden_size;
        let embeddings = vb.pp("embeddings");
        let token_types = embeddings.get(
            (config.type_vocab_size, hidden),
            "token_type_embeddings.weight",
        )?;
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(&vb.pp("encoder.layer").pp(i.to_string()), config, precision))
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Bert {
            word_embeddings: embeddings
                .get((config.vocab_size, hidden), "word_embeddings.weight")?,
            position_embeddings: embeddings.get(
                (config.max_position_embeddings, hidden),
                "position_embeddings.weight",
            )?,
            // Sentence vectors use token type 0 throughout.
            token_type_embedding: token_types.get(0)?,
            embedding_norm: LayerNorm::load(
                &embeddings.pp("LayerNorm"),
                hidden,
                config.layer_norm_eps,
            )?,
            layers,
            heads: config.num_attention_heads,
            act: config.hidden_act,
        })
    }

    /// Token vectors `[batch, width, hidden]` for `ids` `[batch, width]`; `lengths`
    /// are the real tokens of each row (the rest is padding, kept out of attention).
    pub fn forward(&self, ids: &Tensor, lengths: &[usize]) -> candle_core::Result<Tensor> {
        let (batch, width) = ids.dims2()?;
        let hidden = self.word_embeddings.dim(1)?;
        let words = self.word_embeddings.index_select(&ids.flatten_all()?, 0)?;
        let positions = self.position_embeddings.narrow(0, 0, width)?;
        let embedded = words
            .reshape((batch, width, hidden))?
            .broadcast_add(&positions)?
            .broadcast_add(&self.token_type_embedding)?
            .reshape((batch * width, hidden))?;
        let mut x = self.embedding_norm.forward(&embedded)?;
        let mask = attention_bias(lengths, width, ids.device())?;
        for layer in &self.layers {
            x = self.layer_forward(layer, &x, batch, width, mask.as_ref())?;
        }
        x.reshape((batch, width, hidden))
    }

    fn layer_forward(
        &self,
        layer: &Layer,
        x: &Tensor,
        batch: usize,
        width: usize,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<Tensor> {
        let hidden = x.dim(1)?;
        let head_dim = hidden / self.heads;
        // [tokens, 3 * hidden] -> [3, batch, heads, width, head_dim] in one copy.
        let qkv = layer
            .qkv
            .forward(x)?
            .reshape((batch, width, 3, self.heads, head_dim))?
            .permute((2, 0, 3, 1, 4))?
            .contiguous()?;
        let (q, k, v) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
        let mut scores = q.matmul(&k.t()?)?;
        if let Some(mask) = mask {
            scores = scores.broadcast_add(mask)?;
        }
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .reshape((batch * width, hidden))?;
        let attended = layer
            .attention_norm
            .forward(&layer.attention_out.forward_plus(&context, x)?)?;
        let inner = layer.intermediate.forward_act(&attended, self.act)?;
        layer
            .output_norm
            .forward(&layer.output.forward_plus(&inner, &attended)?)
    }
}

/// The additive mask `[batch, 1, 1, width]` that keeps padding out of attention;
/// none when every row is full (length-sorted batches often are).
fn attention_bias(
    lengths: &[usize],
    width: usize,
    device: &Device,
) -> candle_core::Result<Option<Tensor>> {
    if lengths.iter().all(|&n| n == width) {
        return Ok(None);
    }
    let bias: Vec<f32> = lengths
        .iter()
        .flat_map(|&n| (0..width).map(move |i| if i < n { 0.0 } else { f32::MIN }))
        .collect();
    Tensor::from_vec(bias, (lengths.len(), 1, 1, width), device).map(Some)
}

/// Exact GELU with the vectorised erf where it can (f32 on the CPU).
pub(crate) fn gelu_erf(x: &Tensor) -> candle_core::Result<Tensor> {
    gelu(x, HiddenAct::Gelu)
}

fn gelu(x: &Tensor, act: HiddenAct) -> candle_core::Result<Tensor> {
    match act {
        HiddenAct::Gelu if x.device().is_cpu() && x.dtype() == DType::F32 => {
            x.apply_op1_no_bwd(&GeluErf)
        }
        HiddenAct::Gelu => x.gelu_erf(),
        HiddenAct::GeluApproximate => x.gelu(),
        HiddenAct::Relu => x.relu(),
    }
}

/// Exact GELU, `x * (1 + erf(x / sqrt 2)) / 2`, with a vectorised erf in place of libm's.
struct GeluErf;

/// Elements per unit of work shared between candle's threads.
const GELU_CHUNK: usize = 16 * 1024;

impl CustomOp1 for GeluErf {
    fn name(&self) -> &'static str {
        "gelu-erf-f32"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let input = storage.as_slice::<f32>()?;
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("gelu-erf-f32 needs a contiguous tensor")
        };
        let input = &input[start..end];
        let mut output = vec![0f32; input.len()];
        let chunks: Vec<(&[f32], &mut [f32])> = input
            .chunks(GELU_CHUNK)
            .zip(output.chunks_mut(GELU_CHUNK))
            .collect();
        super::on_candle_threads(
            chunks,
            || (),
            |(from, to), _| {
                classlens_kernels::gelu::gelu_erf(from, to);
                true
            },
        );
        Ok((CpuStorage::F32(output), layout.shape().clone()))
    }
}

/// The mean of each row's real token vectors, scaled to unit length.
pub fn mean_pool_normalised(
    hidden: &Tensor,
    lengths: &[usize],
) -> candle_core::Result<Vec<Vec<f32>>> {
    let rows = hidden.to_dtype(DType::F32)?.to_vec3::<f32>()?;
    Ok(rows
        .iter()
        .zip(lengths)
        .map(|(tokens, &n)| {
            let n = n.clamp(1, tokens.len().max(1));
            let mut mean = vec![0f32; tokens.first().map_or(0, Vec::len)];
            for token in &tokens[..n.min(tokens.len())] {
                for (m, v) in mean.iter_mut().zip(token) {
                    *m += v;
                }
            }
            // The mean's direction is the sum's: scaling the sum to unit length is enough.
            let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt();
            // A zero vector stays zero rather than becoming NaN.
            let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
            mean.iter_mut().for_each(|v| *v *= scale);
            mean
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use classlens_kernels::gelu::erf;

    #[test]
    fn fast_erf_matches_libm_erf() {
        let mut worst = 0f64;
        for i in -80_000..=80_000 {
            let x = i as f32 / 10_000.0;
            let exact = libm_erf(x as f64);
            worst = worst.max((erf(x) as f64 - exact).abs());
        }
        assert!(worst < 1e-6, "largest error {worst}");
        assert!((erf(100.0) - 1.0).abs() < 1e-6 && (erf(-100.0) + 1.0).abs() < 1e-6);
        assert!(erf(f32::INFINITY) > 0.999_999);
    }

    /// erf in f64 by its Taylor series (|x| < 3) and continued fraction beyond,
    /// independent of the code under test.
    fn libm_erf(x: f64) -> f64 {
        if x.abs() < 3.0 {
            let mut term = x;
            let mut sum = x;
            for n in 1..200 {
                term *= -x * x / n as f64;
                sum += term / (2 * n + 1) as f64;
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
            let a = x.abs();
            let mut f = a;
            for k in (1..60).rev() {
                f = a + (k as f64 / 2.0) / f;
            }
            let erfc = (-a * a).exp() / std::f64::consts::PI.sqrt() / f;
            (1.0 - erfc).copysign(x)
        }
    }

    #[test]
    fn vector_gelu_matches_candles_exact_gelu() -> candle_core::Result<()> {
        // 2,003 values: the 8-lane loop and a 3-value tail, and beyond ±4·√2.
        let input: Vec<f32> = (-1000..1003).map(|i| i as f32 / 100.0).collect();
        let x = Tensor::new(input.as_slice(), &Device::Cpu)?;
        let ours = gelu(&x, HiddenAct::Gelu)?.to_vec1::<f32>()?;
        let candles = x.gelu_erf()?.to_vec1::<f32>()?;
        let mut portable = vec![0f32; input.len()];
        classlens_kernels::gelu::gelu_erf_portable(&input, &mut portable);
        for ((a, b), c) in ours.iter().zip(&candles).zip(&portable) {
            assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} vs {b}");
            assert!((c - b).abs() <= 1e-6 * b.abs().max(1.0), "{c} vs {b}");
        }
        Ok(())
    }

    #[test]
    fn padding_is_masked_only_when_present() -> candle_core::Result<()> {
        assert!(attention_bias(&[3, 3], 3, &Device::Cpu)?.is_none());
        let bias = attention_bias(&[3, 1], 3, &Device::Cpu)?.map(|t| t.flatten_all());
        let bias = bias.transpose()?.map(|t| t.to_vec1::<f32>()).transpose()?;
        assert_eq!(bias, Some(vec![0.0, 0.0, 0.0, 0.0, f32::MIN, f32::MIN]));
        Ok(())
    }

    #[test]
    fn pooling_averages_real_tokens_only() -> candle_core::Result<()> {
        let hidden = Tensor::new(
            &[[[3f32, 0.0], [0.0, 4.0]], [[0.0, 2.0], [100.0, 100.0]]],
            &Device::Cpu,
        )?;
        let pooled = mean_pool_normalised(&hidden, &[2, 1])?;
        assert_eq!(pooled, vec![vec![0.6, 0.8], vec![0.0, 1.0]]);
        Ok(())
    }
}

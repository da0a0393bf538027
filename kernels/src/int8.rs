//! The search index's inner loop: the dot product of a stored int8 vector
//! with an int8 query (held as i16), exact in i32. LLVM did not vectorise the
//! plain loop well (one multiply-add a cycle); on AVX2, 16 codes are widened
//! to i16 and multiplied pairwise into i32 (vpmaddwd) per instruction.

/// Σ codes[i] × query[i], codes read as i8; the shorter length bounds it.
pub fn dot_i8(codes: &[u8], query: &[i16]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has the feature the function is compiled for.
        return unsafe { avx2::dot_i8(codes, query) };
    }
    dot_i8_portable(codes, query)
}

/// [`dot_i8`] one pair at a time.
pub fn dot_i8_portable(codes: &[u8], query: &[i16]) -> i32 {
    codes
        .iter()
        .zip(query)
        .map(|(&c, &q)| i32::from(c as i8) * i32::from(q))
        .sum()
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub fn dot_i8(codes: &[u8], query: &[i16]) -> i32 {
        let n = codes.len().min(query.len());
        let lanes = n / 16 * 16;
        let mut acc = _mm256_setzero_si256();
        for (c, q) in codes[..lanes]
            .chunks_exact(16)
            .zip(query[..lanes].chunks_exact(16))
        {
            // SAFETY: c holds 16 bytes and q 16 i16s; both loads are unaligned.
            let (c, q) = unsafe {
                (
                    _mm_loadu_si128(c.as_ptr().cast()),
                    _mm256_loadu_si256(q.as_ptr().cast()),
                )
            };
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_cvtepi8_epi16(c), q));
        }
        let sum128 = _mm_add_epi32(
            _mm256_castsi256_si128(acc),
            _mm256_extracti128_si256::<1>(acc),
        );
        let sum64 = _mm_add_epi32(sum128, _mm_unpackhi_epi64(sum128, sum128));
        let sum32 = _mm_add_epi32(sum64, _mm_shuffle_epi32::<0b01>(sum64));
        _mm_cvtsi128_si32(sum32) + super::dot_i8_portable(&codes[lanes..n], &query[lanes..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_codes_and_extremes() {
        let codes = [0x81u8, 0x7f, 0xff, 0x01]; // -127, 127, -1, 1
        assert_eq!(
            dot_i8(&codes, &[127, 127, 3, -2]),
            -127 * 127 + 127 * 127 - 3 - 2
        );
        let long: Vec<u8> = (0..384).map(|i| (i % 255) as u8).collect();
        let q: Vec<i16> = (0..384).map(|i| (i % 200) as i16 - 100).collect();
        let expected: i32 = long
            .iter()
            .zip(&q)
            .map(|(&c, &x)| (c as i8) as i32 * x as i32)
            .sum();
        assert_eq!(dot_i8(&long, &q), expected);
        // Lengths that leave a tail after the 16-wide blocks.
        for n in [0, 1, 15, 17, 33, 383] {
            assert_eq!(
                dot_i8(&long[..n], &q[..n]),
                dot_i8_portable(&long[..n], &q[..n]),
                "{n}"
            );
        }
    }
}

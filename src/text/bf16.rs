//! Linear layers in bfloat16 on CPUs with AVX512-BF16 (AMD Zen 4 and later,
//! Intel Cooper Lake and Sapphire Rapids): one `vdpbf16ps` does 32 multiply-adds
//! where an f32 FMA does 16, and the sums stay f32.
//!
//! Rounding weights and activations to bfloat16 moves MiniLM's sentence vectors
//! by a cosine of about 5e-5 (the parity test's bar is 1e-3). int8 was tried
//! first and rejected: per-channel int8 weights alone cost 5e-3 on short texts.
//!
//! The kernel is in `classlens-kernels`; this is its candle op and its share
//! of candle's threads.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape};
use classlens_kernels::bf16::{Epilogue, PackedWeights};

/// Rows per unit of work shared between threads; one panel of weights is read
/// from cache once per unit.
const ROWS_PER_UNIT: usize = 32;

/// `x W^T + b` with W packed for the bfloat16 kernel; `[m, inputs]` in, `[m, outputs]` out.
pub struct Bf16Linear {
    weights: PackedWeights,
    bias: Vec<f32>,
}

impl Bf16Linear {
    /// Whether this CPU runs the kernel.
    pub fn supported() -> bool {
        classlens_kernels::bf16::supported()
    }

    /// Packs `weight` (`[outputs][inputs]`, row-major, as PyTorch stores a
    /// Linear); `None` for shapes the kernel does not tile.
    pub fn pack(weight: &[f32], bias: &[f32], outputs: usize, inputs: usize) -> Option<Bf16Linear> {
        if bias.len() != outputs {
            return None;
        }
        Some(Bf16Linear {
            weights: PackedWeights::pack(weight, outputs, inputs)?,
            bias: bias.to_vec(),
        })
    }

    /// `epilogue(x W^T + b)`; `x` is `[rows, inputs]`, row-major.
    pub fn forward_slice(&self, x: &[f32], epilogue: Fused<'_>) -> candle_core::Result<Vec<f32>> {
        let (inputs, outputs) = (self.weights.inputs(), self.weights.outputs());
        if !x.len().is_multiple_of(inputs) {
            candle_core::bail!("linear-bf16: {} values are not rows of {inputs}", x.len())
        }
        let mut out = vec![0f32; x.len() / inputs * outputs];
        if let Fused::Add(residual) = epilogue
            && residual.len() != out.len()
        {
            candle_core::bail!("linear-bf16: the residual is not the output's shape")
        }
        // Rows in, rows out, and the residual rows to add, if any.
        type Unit<'a> = (&'a [f32], &'a mut [f32], Option<&'a [f32]>);
        let units: Vec<Unit<'_>> = x
            .chunks(ROWS_PER_UNIT * inputs)
            .zip(out.chunks_mut(ROWS_PER_UNIT * outputs))
            .enumerate()
            .map(|(i, (x, out))| {
                let residual = match epilogue {
                    Fused::Add(r) => r
                        .get(i * ROWS_PER_UNIT * outputs..)
                        .map(|r| &r[..out.len()]),
                    _ => None,
                };
                (x, out, residual)
            })
            .collect();
        let done = super::on_candle_threads(
            units,
            || Vec::with_capacity(ROWS_PER_UNIT * inputs),
            |(x, out, residual), scratch| {
                let epilogue = match (epilogue, residual) {
                    (Fused::Gelu, _) => Epilogue::Gelu,
                    (Fused::Add(_), Some(residual)) => Epilogue::Add(residual),
                    _ => Epilogue::Plain,
                };
                self.weights.multiply(x, &self.bias, epilogue, out, scratch)
            },
        );
        if !done {
            candle_core::bail!("linear-bf16: a unit of rows did not fit the weights")
        }
        Ok(out)
    }

    fn forward_storage(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
        epilogue: Fused<'_>,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(storage, layout)?;
        let (rows, inputs) = layout.shape().dims2()?;
        if inputs != self.weights.inputs() {
            candle_core::bail!(
                "linear-bf16 expects {} inputs, got {inputs}",
                self.weights.inputs()
            )
        }
        let out = self.forward_slice(x, epilogue)?;
        Ok((
            CpuStorage::F32(out),
            Shape::from((rows, self.weights.outputs())),
        ))
    }
}

/// What the layer does to its output before storing it.
#[derive(Clone, Copy)]
pub enum Fused<'a> {
    Plain,
    Gelu,
    Add(&'a [f32]),
}

fn contiguous_f32<'a>(storage: &'a CpuStorage, layout: &Layout) -> candle_core::Result<&'a [f32]> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("linear-bf16 needs contiguous inputs")
    };
    Ok(&storage.as_slice::<f32>()?[start..end])
}

impl CustomOp1 for Bf16Linear {
    fn name(&self) -> &'static str {
        "linear-bf16"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        self.forward_storage(storage, layout, Fused::Plain)
    }
}

/// The layer with GELU applied to its output.
pub struct WithGelu<'a>(pub &'a Bf16Linear);

impl CustomOp1 for WithGelu<'_> {
    fn name(&self) -> &'static str {
        "linear-bf16-gelu"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        self.0.forward_storage(storage, layout, Fused::Gelu)
    }
}

/// The layer with a residual (the second argument, the output's shape) added.
pub struct PlusResidual<'a>(pub &'a Bf16Linear);

impl CustomOp2 for PlusResidual<'_> {
    fn name(&self) -> &'static str {
        "linear-bf16-add"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
        residual: &CpuStorage,
        residual_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let residual = contiguous_f32(residual, residual_layout)?;
        self.0
            .forward_storage(storage, layout, Fused::Add(residual))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use classlens_kernels::bf16::{from_bf16, to_bf16, to_bf16_slice};
    use rand::{Rng, SeedableRng};

    #[test]
    fn rounding_to_bfloat16_is_to_nearest_even() {
        assert_eq!(to_bf16(1.0), 0x3F80);
        assert_eq!(from_bf16(to_bf16(-2.5)), -2.5);
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even one, 1.
        assert_eq!(from_bf16(to_bf16(1.0 + 1.0 / 256.0)), 1.0);
        assert_eq!(from_bf16(to_bf16(1.0 + 3.0 / 256.0)), 1.0 + 4.0 / 256.0);
        assert!(from_bf16(to_bf16(f32::NAN)).is_nan());
    }

    #[test]
    fn vector_and_scalar_rounding_agree() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        // Random values, exact ties (1 + k/256) and a ragged tail.
        let mut x: Vec<f32> = (0..1000).map(|_| rng.random_range(-50.0..50.0)).collect();
        x.extend((0..67).map(|k| 1.0 + k as f32 / 256.0));
        let mut fast = Vec::new();
        to_bf16_slice(&x, &mut fast);
        let slow: Vec<u16> = x.iter().map(|&v| to_bf16(v)).collect();
        assert_eq!(fast, slow);
    }

    #[test]
    fn unsupported_shapes_are_declined() {
        assert!(Bf16Linear::pack(&[0.0; 48 * 32], &[0.0; 48], 48, 32).is_none());
        assert!(Bf16Linear::pack(&[0.0; 64 * 40], &[0.0; 64], 64, 40).is_none());
        assert!(Bf16Linear::pack(&[0.0; 64 * 32], &[0.0; 63], 64, 32).is_none());
        assert!(Bf16Linear::pack(&[0.0; 64 * 32], &[0.0; 64], 64, 32).is_some());
    }

    /// Every row count around the kernel's blocks and the threads' units,
    /// against the same sum in f64 over the bfloat16-rounded values: only the
    /// order of additions differs. (The vector kernel on CPUs with AVX512-BF16,
    /// the portable path elsewhere.)
    #[test]
    fn products_match_a_plain_sum_over_rounded_values() -> candle_core::Result<()> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for (outputs, inputs) in [(64, 32), (128, 96)] {
            let weight: Vec<f32> = (0..outputs * inputs)
                .map(|_| rng.random_range(-1.0..1.0))
                .collect();
            let bias: Vec<f32> = (0..outputs).map(|_| rng.random_range(-1.0..1.0)).collect();
            let Some(linear) = Bf16Linear::pack(&weight, &bias, outputs, inputs) else {
                panic!("{outputs}x{inputs} should pack");
            };
            for rows in [1, 2, 3, 4, 5, 31, 32, 33, 70] {
                let x: Vec<f32> = (0..rows * inputs)
                    .map(|_| rng.random_range(-3.0..3.0))
                    .collect();
                let got = linear.forward_slice(&x, Fused::Plain)?;
                for r in 0..rows {
                    for c in 0..outputs {
                        let exact: f64 = (0..inputs)
                            .map(|i| {
                                from_bf16(to_bf16(x[r * inputs + i])) as f64
                                    * from_bf16(to_bf16(weight[c * inputs + i])) as f64
                            })
                            .sum::<f64>()
                            + bias[c] as f64;
                        let value = got[r * outputs + c] as f64;
                        assert!(
                            (value - exact).abs() < 1e-4 * (1.0 + exact.abs()),
                            "{rows} rows, {outputs}x{inputs}: [{r}][{c}] {value} vs {exact}"
                        );
                    }
                }
            }
        }
        assert!(linear_rejects_ragged_rows());
        Ok(())
    }

    /// GELU and the residual, fused, give what the separate passes give.
    #[test]
    fn fused_epilogues_match_separate_passes() -> candle_core::Result<()> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (outputs, inputs, rows) = (128, 64, 37);
        let weight: Vec<f32> = (0..outputs * inputs)
            .map(|_| rng.random_range(-0.5..0.5))
            .collect();
        let bias: Vec<f32> = (0..outputs).map(|_| rng.random_range(-1.0..1.0)).collect();
        let x: Vec<f32> = (0..rows * inputs)
            .map(|_| rng.random_range(-2.0..2.0))
            .collect();
        let residual: Vec<f32> = (0..rows * outputs)
            .map(|_| rng.random_range(-5.0..5.0))
            .collect();
        let Some(linear) = Bf16Linear::pack(&weight, &bias, outputs, inputs) else {
            panic!("should pack");
        };
        let plain = linear.forward_slice(&x, Fused::Plain)?;
        let mut gelu = vec![0f32; plain.len()];
        classlens_kernels::gelu::gelu_erf_portable(&plain, &mut gelu);
        let added: Vec<f32> = plain.iter().zip(&residual).map(|(a, b)| a + b).collect();
        let close = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .all(|(a, b)| (a - b).abs() <= 1e-5 * b.abs().max(1.0))
        };
        assert!(close(&linear.forward_slice(&x, Fused::Gelu)?, &gelu));
        assert!(close(
            &linear.forward_slice(&x, Fused::Add(&residual))?,
            &added
        ));
        assert!(
            linear
                .forward_slice(&x, Fused::Add(&residual[1..]))
                .is_err()
        );
        Ok(())
    }

    fn linear_rejects_ragged_rows() -> bool {
        Bf16Linear::pack(&[0.0; 64 * 32], &[0.0; 64], 64, 32)
            .is_some_and(|l| l.forward_slice(&[0.0; 33], Fused::Plain).is_err())
    }
}

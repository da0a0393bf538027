//! The hand-vectorised inner loops of classlens: the BERT encoder's and the search index's.
//!
//! A crate of their own so that they build with full optimisation in every
//! profile: in the dev profile, which the README's commands use, the main crate
//! is built at opt-level 1, where SIMD intrinsics are neither inlined nor kept
//! in registers. Every function here checks the CPU at run time and has a
//! portable path, so the API is safe and total.

pub mod bf16;
pub mod gelu;
pub mod int8;
pub mod q4;

pub use int8::dot_i8;

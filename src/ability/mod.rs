//! Ability with uncertainty: item response theory over answer matrices. Plain
//! Rust over slices and structs; the database side feeds it matrices.

pub mod bkt;
pub mod evaluate;
pub mod explain;
pub mod irt;
pub mod mastery;
pub mod matrix;
pub mod risk;
pub mod school;

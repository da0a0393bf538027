//! classlens: class analytics for teachers, over one embedded DuckDB file.

pub mod ability;
pub mod cli;
mod commands;
pub mod config;
pub mod recommend;
pub mod report;
pub mod store;
pub mod synth;
pub mod text;
pub mod tui;

pub use commands::{exit_code, run};

//! Text understanding: the BERT encoder's model files (and, to come, encoding,
//! the embedding cache and what is read from comments). The only module that
//! touches candle.

pub mod encoder;
pub mod model;

//! The embedding cache: which texts exist to encode, which are encoded, and
//! writing new vectors.

use std::collections::HashSet;

use duckdb::params;

use super::error::DbContext;
use super::{Store, StoreError};

/// A stored vector's bytes (little-endian f32s) as the vector.
pub fn vector_of(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// A vector as stored: little-endian f32s.
pub fn bytes_of(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// One encoded text, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    pub text_hash: String,
    pub tokens: u16,
    pub vector: Vec<f32>,
}

impl Store {
    /// Every distinct text the analysis reads, as written, with whether it is
    /// the catalogue's (a resource, skill or item text) rather than a student's.
    pub fn analysis_texts(&self) -> Result<Vec<(String, bool)>, StoreError> {
        self.rows(
            include_str!("../../queries/derived/analysis_texts.sql"),
            [],
            "collecting the texts to analyse",
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)),
        )
    }

    /// The hashes of the texts already encoded with `model`.
    pub fn embedded_hashes(&self, model: &str) -> Result<HashSet<String>, StoreError> {
        let hashes = self.rows(
            "SELECT text_hash FROM embeddings WHERE model = ?",
            params![model],
            "reading the embedding cache",
            |r| r.get::<_, String>(0),
        )?;
        Ok(hashes.into_iter().collect())
    }

    /// Stores vectors in one transaction; a hash already there is kept as it is.
    /// Rows go through DuckDB's appender into a staging table and then in one
    /// INSERT: a prepared INSERT per row took as long as encoding the texts.
    pub fn save_embeddings(
        &mut self,
        model: &str,
        embeddings: &[Embedding],
    ) -> Result<(), StoreError> {
        self.require_write("storing embeddings")?;
        let context = "storing embeddings";
        let tx = self.conn.transaction().context(context)?;
        tx.execute_batch("CREATE OR REPLACE TEMP TABLE embeddings_new AS FROM embeddings LIMIT 0")
            .context(context)?;
        {
            let mut appender = tx.appender("embeddings_new").context(context)?;
            for e in embeddings {
                appender
                    .append_row(params![model, e.text_hash, e.tokens, bytes_of(&e.vector)])
                    .context(context)?;
            }
            appender.flush().context(context)?;
        }
        tx.execute_batch(
            "INSERT INTO embeddings SELECT * FROM embeddings_new ON CONFLICT DO NOTHING;
             DROP TABLE embeddings_new;",
        )
        .context(context)?;
        tx.commit().context(context)
    }

    /// One stored vector, if there.
    pub fn embedding(&self, model: &str, text_hash: &str) -> Result<Option<Vec<f32>>, StoreError> {
        let context = "reading an embedding";
        let mut stmt = self
            .conn()
            .prepare("SELECT vector FROM embeddings WHERE model = ? AND text_hash = ?")
            .context(context)?;
        let mut rows = stmt.query(params![model, text_hash]).context(context)?;
        let Some(row) = rows.next().context(context)? else {
            return Ok(None);
        };
        let bytes: Vec<u8> = row.get(0).context(context)?;
        Ok(Some(vector_of(&bytes)))
    }
}

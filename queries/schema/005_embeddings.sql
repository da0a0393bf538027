-- Derived: sentence vectors, keyed by the model and a hash of the normalised text,
-- so that no text is ever encoded twice. `classlens analyze` fills it.
CREATE TABLE embeddings (
    -- The model id and the start of its weights' sha256: another model, other vectors.
    model     VARCHAR NOT NULL,
    -- sha256 (hex, first 32 digits) of the text as encoded (see src/text/mod.rs).
    text_hash VARCHAR NOT NULL,
    tokens    USMALLINT NOT NULL,
    -- The unit-length vector as little-endian f32s.
    vector    BLOB NOT NULL,
    PRIMARY KEY (model, text_hash)
);

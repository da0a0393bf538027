-- What the texts of one language have in common in one encoder's space (the
-- mean of their vectors, unit-less, little-endian f32s): taken away before
-- topics are read in a space where it would outweigh meaning (e5).
CREATE TABLE language_centres (
    model    VARCHAR NOT NULL,
    language VARCHAR NOT NULL,
    texts    UBIGINT NOT NULL,
    vector   BLOB NOT NULL,
    PRIMARY KEY (model, language)
);

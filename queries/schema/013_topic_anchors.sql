-- What the comments of one language posted on one skill's resources have in
-- common in one encoder's space (the mean of their language-centred vectors,
-- little-endian f32s): that language's own words for the skill, learnt from
-- the class, beside the catalogue's English description.
CREATE TABLE topic_anchors (
    model    VARCHAR NOT NULL,
    language VARCHAR NOT NULL,
    skill_id VARCHAR NOT NULL,
    texts    UBIGINT NOT NULL,
    vector   BLOB NOT NULL,
    PRIMARY KEY (model, language, skill_id)
);

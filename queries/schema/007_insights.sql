-- Derived: what the comments and searches say, written by `classlens analyze`
-- from the embedding cache. Rewritten whole when what produced them changes
-- (encoder, sentiment head, skills), added to otherwise.

-- What the rows below were computed with: a fingerprint of the encoder, the
-- sentiment head and the topic prototypes. One row.
CREATE TABLE insight_source (
    source     VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE comment_insights (
    comment_id  VARCHAR NOT NULL,
    -- The embedding's key; NULL when the text was empty once normalised.
    text_hash   VARCHAR,
    -- ISO 639-1 (or 639-3) code, 'und' when undetectable.
    language    VARCHAR NOT NULL,
    -- 'scored', 'unsupported language' or 'empty'.
    status      VARCHAR NOT NULL,
    sentiment   VARCHAR CHECK (sentiment IN ('negative', 'neutral', 'positive')),
    -- The calibrated probability of `sentiment`, and of each label.
    probability FLOAT,
    p_negative  FLOAT,
    p_neutral   FLOAT,
    p_positive  FLOAT,
    -- The skill the comment is about: named by its text ('text'), or only by
    -- the resource it was written on ('resource').
    skill_id    VARCHAR,
    topic_score FLOAT,
    topic_from  VARCHAR CHECK (topic_from IN ('text', 'resource')),
    -- Up to three phrases of the comment closest to its meaning, ' | '-joined
    -- (English comments; see src/text/phrases.rs).
    key_phrases VARCHAR
);

-- Each skill's topic prototype (src/text/topics.rs) as of the last analysis,
-- so that a search or a scored text need not rebuild it from every skill text.
CREATE TABLE topic_prototypes (
    model    VARCHAR NOT NULL,
    skill_id VARCHAR NOT NULL,
    -- Unit length, little-endian f32s, like `embeddings.vector`.
    vector   BLOB NOT NULL
);

CREATE TABLE search_insights (
    student_id  VARCHAR NOT NULL,
    time        TIMESTAMP NOT NULL,
    query       VARCHAR NOT NULL,
    text_hash   VARCHAR,
    language    VARCHAR NOT NULL,
    skill_id    VARCHAR,
    topic_score FLOAT
);

-- Each student's interests: the recency-weighted mean of the vectors of what
-- they wrote and searched (half-life 21 days before their latest text).
CREATE TABLE interest_profiles (
    student_id VARCHAR NOT NULL,
    model      VARCHAR NOT NULL,
    texts      INTEGER NOT NULL,
    latest     TIMESTAMP NOT NULL,
    -- Unit length, little-endian f32s, like `embeddings.vector`.
    vector     BLOB NOT NULL
);

-- A student's top skills by what they wrote and searched about them (text
-- topics only), with how much evidence: rank 1 is the strongest.
CREATE TABLE student_topics (
    student_id VARCHAR NOT NULL,
    skill_id   VARCHAR NOT NULL,
    rank       INTEGER NOT NULL,
    weight     DOUBLE NOT NULL,
    comments   INTEGER NOT NULL,
    searches   INTEGER NOT NULL
);

-- Suggested resources, written by `classlens analyze` (src/recommend/school.rs)
-- and rewritten whole each time; and teachers' pins and hides, which only a
-- teacher changes (`classlens recommend --pin/--hide/--clear`, the dashboard).

CREATE TABLE recommendation_overrides (
    student_id  VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    -- 'pin': shown first; 'hide': never suggested to this student.
    action      VARCHAR NOT NULL CHECK (action IN ('pin', 'hide')),
    set_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (student_id, resource_id)
);

-- Each student's suggestions, rank 1 first. score = the ranker's bias plus
-- the c_* columns (each feature's exact share of it, in log-odds).
CREATE TABLE recommendations (
    student_id        VARCHAR NOT NULL,
    rank              INTEGER NOT NULL,
    resource_id       VARCHAR NOT NULL,
    score             DOUBLE NOT NULL,
    pinned            BOOLEAN NOT NULL,
    predicted_success DOUBLE NOT NULL,
    -- Expected share right on the resource's skill (NULL: no skill).
    mastery           DOUBLE,
    c_interest        DOUBLE NOT NULL,
    c_difficulty_fit  DOUBLE NOT NULL,
    c_skill_need      DOUBLE NOT NULL,
    c_prerequisites   DOUBLE NOT NULL,
    c_novelty         DOUBLE NOT NULL,
    c_popularity      DOUBLE NOT NULL,
    c_classmates      DOUBLE NOT NULL,
    c_current_skill   DOUBLE NOT NULL,
    c_class_skill     DOUBLE NOT NULL,
    c_upcoming        DOUBLE NOT NULL,
    -- The reasons in words, strongest first, '; '-joined.
    reasons           VARCHAR NOT NULL
);

-- Each student's next skills, prerequisites first, with a resource for each.
CREATE TABLE learning_paths (
    student_id  VARCHAR NOT NULL,
    step        INTEGER NOT NULL,
    skill_id    VARCHAR NOT NULL,
    mastery     DOUBLE NOT NULL,
    assessed    BOOLEAN NOT NULL,
    resource_id VARCHAR,
    why         VARCHAR NOT NULL
);

-- The ranker the suggestions came from: per feature its learned weight (log-odds
-- per standard deviation) and standardisation; feature 'bias' holds the intercept.
CREATE TABLE ranker_weights (
    feature VARCHAR NOT NULL,
    weight  DOUBLE NOT NULL,
    mean    DOUBLE NOT NULL,
    scale   DOUBLE NOT NULL
);

-- What one student's suggestions need from everyone else, kept so that they can be
-- recomputed on demand (after a pin or hide) without reading the whole school.
CREATE TABLE resource_signals (
    resource_id VARCHAR NOT NULL,
    -- Students who completed it.
    completions INTEGER NOT NULL,
    -- Its mean interest cosine over students with a profile.
    interest_mean DOUBLE NOT NULL,
    -- Unit-length embedding of its title and description (encoder as in ranker_source).
    vector      BLOB
);

CREATE TABLE class_recent_opens (
    class_id    VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    -- Students of the class who opened it in the two weeks before as_of.
    students    INTEGER NOT NULL
);

CREATE TABLE class_recent_skills (
    class_id VARCHAR NOT NULL,
    skill_id VARCHAR NOT NULL,
    -- The skill's share of the class's answers and views in the week before as_of.
    share    DOUBLE NOT NULL
);

CREATE TABLE ranker_source (
    -- The encoder whose vectors the interest feature compared.
    model        VARCHAR NOT NULL,
    -- Training rows and completions among them (0: the prior, nothing to learn from).
    examples     BIGINT NOT NULL,
    completions  BIGINT NOT NULL,
    gap_priority DOUBLE NOT NULL,
    diversity    DOUBLE NOT NULL,
    -- The moment the suggestions are as of: the data's latest event.
    as_of        TIMESTAMP,
    made_at      TIMESTAMP NOT NULL
);

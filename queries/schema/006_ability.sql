-- Derived: item response theory per skill, refreshed by `classlens analyze`
-- when the answers change (see src/ability/school.rs). Rewritten whole each
-- time, one row per key by construction, so no PRIMARY KEY: its index made a
-- district's rewrite delete 1.5 million keys one by one (20 s of 22).

-- Each item's parameters from its skill's 2PL fit.
CREATE TABLE item_estimates (
    item_id           VARCHAR NOT NULL,
    skill_id          VARCHAR NOT NULL,
    difficulty        DOUBLE NOT NULL,
    difficulty_se     DOUBLE NOT NULL,
    discrimination    DOUBLE NOT NULL,
    discrimination_se DOUBLE NOT NULL,
    -- Students whose first attempt is counted.
    answered          INTEGER NOT NULL,
    p_correct         DOUBLE,
    infit             DOUBLE,
    outfit            DOUBLE,
    -- Comma-separated ItemFlag names (no_answers, negative_discrimination, ...).
    flags             VARCHAR NOT NULL
);

-- Each student's ability per skill: the EAP estimate and its posterior SD.
CREATE TABLE ability_estimates (
    student_id VARCHAR NOT NULL,
    skill_id   VARCHAR NOT NULL,
    theta      DOUBLE NOT NULL,
    sd         DOUBLE NOT NULL,
    answered   INTEGER NOT NULL
);

-- What the estimates were computed from, so that an unchanged school is not refitted.
CREATE TABLE ability_source (
    responses  BIGINT NOT NULL,
    last_time  TIMESTAMP,
    fitted_at  TIMESTAMP NOT NULL
);

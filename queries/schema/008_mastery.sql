-- Derived: mastery over time, trends and at-risk flags, written by
-- `classlens analyze` with the abilities (src/ability/school.rs, risk.rs).
-- Weeks count from the Monday of the data's first week (activity_weekly), as
-- the dashboard's do: week 0 is that week.

-- Each student's ability in a skill after each week they answered in it.
CREATE TABLE mastery (
    student_id VARCHAR NOT NULL,
    skill_id   VARCHAR NOT NULL,
    week       INTEGER NOT NULL,
    theta      DOUBLE NOT NULL,
    sd         DOUBLE NOT NULL,
    -- Answers so far, this week's included.
    answered   INTEGER NOT NULL
);

-- Whether each student's ability in a skill changed during the term.
CREATE TABLE ability_trends (
    student_id VARCHAR NOT NULL,
    skill_id   VARCHAR NOT NULL,
    direction  VARCHAR NOT NULL CHECK (direction IN ('rising', 'falling', 'steady')),
    -- The first week after the change (the first week answered when steady).
    since_week INTEGER NOT NULL,
    -- The estimates from the answers before and since then.
    from_theta DOUBLE NOT NULL,
    to_theta   DOUBLE NOT NULL,
    -- Twice the log likelihood ratio of the change over a constant ability.
    evidence   DOUBLE NOT NULL
);

-- Each skill's weekly drift, chosen by how well it forecast each week's
-- answers from the weeks before, beside the forecast of a constant ability.
CREATE TABLE mastery_drift (
    skill_id         VARCHAR NOT NULL,
    drift            DOUBLE NOT NULL,
    forecast_answers BIGINT NOT NULL,
    log_loss         DOUBLE NOT NULL,
    auc              DOUBLE NOT NULL,
    static_log_loss  DOUBLE NOT NULL,
    static_auc       DOUBLE NOT NULL
);

-- One row per at-risk rule that fired for a student, with the reason in words.
CREATE TABLE risk_flags (
    student_id VARCHAR NOT NULL,
    rule       VARCHAR NOT NULL CHECK (rule IN ('low_ability', 'falling', 'disengaged')),
    skill_id   VARCHAR,
    reason     VARCHAR NOT NULL
);

-- Abilities fitted before this migration have no mastery: fit them again.
DELETE FROM ability_source;

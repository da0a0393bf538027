-- Ground truth written by `classlens demo` only, so that later stages (ability,
-- sentiment, topics, recommendations) can be scored against what really
-- generated the data. A real school's database leaves these empty.

-- What drives each student: general ability (the mean of skill abilities
-- before class and prerequisite effects), an activity multiplier, and the week
-- from which a disengaging student does little (NULL: never).
CREATE TABLE truth_students (
    student_id           VARCHAR PRIMARY KEY,
    general_ability      DOUBLE NOT NULL,
    engagement           DOUBLE NOT NULL,
    disengaged_from_week INTEGER
);

-- Ability on skill_id at week w (0 = first week of term) is
-- theta_start + growth_per_week * w.
CREATE TABLE truth_abilities (
    student_id      VARCHAR NOT NULL,
    skill_id        VARCHAR NOT NULL,
    theta_start     DOUBLE NOT NULL,
    growth_per_week DOUBLE NOT NULL,
    PRIMARY KEY (student_id, skill_id)
);

-- 2PL: P(correct) = 1 / (1 + exp(-a (theta - b))). misbehaving marks items
-- written to be ambiguous (near-zero or negative discrimination).
CREATE TABLE truth_items (
    item_id     VARCHAR PRIMARY KEY,
    a           DOUBLE NOT NULL,
    b           DOUBLE NOT NULL,
    misbehaving BOOLEAN NOT NULL
);

-- Latent interest of a student in a theme (weights sum to 1 per student).
CREATE TABLE truth_interests (
    student_id VARCHAR NOT NULL,
    theme      VARCHAR NOT NULL,
    weight     DOUBLE NOT NULL,
    PRIMARY KEY (student_id, theme)
);

CREATE TABLE truth_resources (
    resource_id VARCHAR PRIMARY KEY,
    theme       VARCHAR
);

-- What each comment was written to say.
CREATE TABLE truth_comments (
    comment_id VARCHAR PRIMARY KEY,
    sentiment  VARCHAR NOT NULL CHECK (sentiment IN ('negative', 'neutral', 'positive')),
    skill_id   VARCHAR,
    language   VARCHAR NOT NULL,
    -- Whether the text names its topic, or only the resource it is attached to does.
    mentions_topic BOOLEAN NOT NULL
);

-- What each search was looking for. Key: (student_id, time, query).
CREATE TABLE truth_searches (
    student_id VARCHAR NOT NULL,
    time       TIMESTAMP NOT NULL,
    query      VARCHAR NOT NULL,
    skill_id   VARCHAR,
    theme      VARCHAR
);

-- The generated term: week w starts at start_date + 7 w days.
CREATE TABLE truth_term (
    start_date DATE NOT NULL,
    weeks      INTEGER NOT NULL CHECK (weeks > 0),
    seed       UBIGINT NOT NULL
);

CREATE VIEW truth_abilities_weekly AS
SELECT a.student_id, a.skill_id, w.week,
       a.theta_start + a.growth_per_week * w.week AS theta
FROM truth_abilities a
CROSS JOIN (SELECT unnest(range(0, max(weeks))) AS week FROM truth_term) w;

-- The raw tables: what a school's learning platform exports.
-- Keys of the dimension tables are enforced here. Event tables carry no index
-- (an ART index over hundreds of millions of events costs more memory than the
-- data); their keys and references are enforced by `classlens ingest`, the only
-- writer, which rejects duplicates and unknown ids before anything is written.

CREATE TABLE classes (
    class_id    VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    grade       VARCHAR,
    teacher     VARCHAR
);

CREATE TABLE students (
    student_id   VARCHAR PRIMARY KEY,
    class_id     VARCHAR NOT NULL,
    display_name VARCHAR NOT NULL,
    external_id  VARCHAR
);

CREATE TABLE skills (
    skill_id    VARCHAR PRIMARY KEY,
    subject     VARCHAR NOT NULL,
    name        VARCHAR NOT NULL,
    description VARCHAR NOT NULL DEFAULT ''
);

-- prereq_id must be mastered before skill_id.
CREATE TABLE skill_prereqs (
    skill_id  VARCHAR NOT NULL,
    prereq_id VARCHAR NOT NULL,
    PRIMARY KEY (skill_id, prereq_id),
    CHECK (skill_id <> prereq_id)
);

CREATE TABLE items (
    item_id  VARCHAR PRIMARY KEY,
    skill_id VARCHAR NOT NULL,
    text     VARCHAR NOT NULL DEFAULT ''
);

CREATE TABLE resources (
    resource_id VARCHAR PRIMARY KEY,
    kind        VARCHAR NOT NULL CHECK (kind IN ('video', 'ebook', 'exercise', 'article')),
    title       VARCHAR NOT NULL,
    description VARCHAR NOT NULL DEFAULT '',
    skill_id    VARCHAR,
    -- On the ability (logit) scale: 0 is an average item, +1 is hard.
    difficulty  DOUBLE,
    minutes     DOUBLE CHECK (minutes >= 0)
);

-- Key: (student_id, item_id, time).
CREATE TABLE responses (
    student_id VARCHAR NOT NULL,
    item_id    VARCHAR NOT NULL,
    time       TIMESTAMP NOT NULL,
    correct    UTINYINT NOT NULL CHECK (correct IN (0, 1)),
    seconds    DOUBLE CHECK (seconds >= 0),
    attempt    UINTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1)
);

-- Key: (student_id, resource_id, time).
CREATE TABLE views (
    student_id      VARCHAR NOT NULL,
    resource_id     VARCHAR NOT NULL,
    time            TIMESTAMP NOT NULL,
    watched_seconds DOUBLE NOT NULL CHECK (watched_seconds >= 0),
    completed       BOOLEAN NOT NULL DEFAULT false
);

-- One hop of a browsing path. Key: (student_id, time, from_page, to_page).
CREATE TABLE navigation (
    student_id VARCHAR NOT NULL,
    time       TIMESTAMP NOT NULL,
    from_page  VARCHAR NOT NULL,
    to_page    VARCHAR NOT NULL
);

-- Key: (student_id, time, query).
CREATE TABLE searches (
    student_id VARCHAR NOT NULL,
    time       TIMESTAMP NOT NULL,
    query      VARCHAR NOT NULL
);

-- Key: comment_id.
CREATE TABLE comments (
    comment_id  VARCHAR NOT NULL,
    student_id  VARCHAR NOT NULL,
    resource_id VARCHAR,
    time        TIMESTAMP NOT NULL,
    text        VARCHAR NOT NULL
);

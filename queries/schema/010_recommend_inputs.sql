-- What one student's suggestions are made from, written by `classlens analyze`
-- in student order so that reading one student's rows skips the rest of the
-- table (DuckDB keeps each row group's min and max): suggestions on demand,
-- after a pin or hide, without scanning every view and answer.
CREATE TABLE recommend_inputs (
    student_id VARCHAR NOT NULL,
    -- 'class' (key: class; x: its students), 'ability' (key: skill; x: θ, y: SD), 'engaged' (key: resource; x: 1 opened,
    -- 2 completed), 'recent_skill' (key: skill; x: share of their recent work),
    -- 'recent_resource' (key: resource), 'interest' (vector: their profile).
    kind       VARCHAR NOT NULL,
    key        VARCHAR,
    x          DOUBLE,
    y          DOUBLE,
    vector     BLOB
);

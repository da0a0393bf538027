-- Derived: each student's answers and viewing per week, the summary that the
-- class list and rosters read instead of scanning every event. `classlens
-- ingest` refreshes the (student, week) pairs it adds events to, in the same
-- transaction, so it always agrees with the raw tables.
CREATE TABLE activity_weekly (
    student_id      VARCHAR NOT NULL,
    -- Monday 00:00 of the week.
    week            TIMESTAMP NOT NULL,
    responses       UINTEGER NOT NULL,
    correct         UINTEGER NOT NULL,
    answer_seconds  DOUBLE NOT NULL,
    watched_seconds DOUBLE NOT NULL,
    -- The student's last answer or view that week.
    last            TIMESTAMP NOT NULL
);

INSERT INTO activity_weekly
WITH answered AS (
    SELECT student_id, date_trunc('week', time) AS week, count(*) AS responses,
           sum(correct) AS correct, coalesce(sum(seconds), 0) AS answer_seconds, max(time) AS last
    FROM responses GROUP BY ALL
), watched AS (
    SELECT student_id, date_trunc('week', time) AS week,
           sum(watched_seconds) AS watched_seconds, max(time) AS last
    FROM views GROUP BY ALL
)
SELECT student_id, week,
       coalesce(a.responses, 0), coalesce(a.correct, 0), coalesce(a.answer_seconds, 0),
       coalesce(w.watched_seconds, 0), greatest(a.last, w.last)
FROM answered a FULL JOIN watched w USING (student_id, week);

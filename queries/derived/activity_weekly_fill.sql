-- Computes activity_weekly for the (student, week) pairs in temp.touched_weeks, from the raw tables.
INSERT INTO activity_weekly
WITH answered AS (
    SELECT r.student_id, date_trunc('week', r.time) AS week, count(*) AS responses,
           sum(r.correct) AS correct, coalesce(sum(r.seconds), 0) AS answer_seconds, max(r.time) AS last
    FROM responses r SEMI JOIN temp.touched_weeks t
        ON r.student_id = t.student_id AND date_trunc('week', r.time) = t.week
    GROUP BY ALL
), watched AS (
    SELECT v.student_id, date_trunc('week', v.time) AS week,
           sum(v.watched_seconds) AS watched_seconds, max(v.time) AS last
    FROM views v SEMI JOIN temp.touched_weeks t
        ON v.student_id = t.student_id AND date_trunc('week', v.time) = t.week
    GROUP BY ALL
)
SELECT student_id, week,
       coalesce(a.responses, 0), coalesce(a.correct, 0), coalesce(a.answer_seconds, 0),
       coalesce(w.watched_seconds, 0), greatest(a.last, w.last)
FROM answered a FULL JOIN watched w USING (student_id, week);

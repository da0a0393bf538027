-- Week by week: students active, answers given, percent correct and minutes watched.
WITH activity AS (
    SELECT date_trunc('week', time) AS week, student_id FROM responses
    UNION ALL SELECT date_trunc('week', time), student_id FROM views
    UNION ALL SELECT date_trunc('week', time), student_id FROM navigation
), active AS (
    SELECT week, count(DISTINCT student_id) AS active_students FROM activity GROUP BY week
), answers AS (
    SELECT date_trunc('week', time) AS week, count(*) AS answers, avg(correct) AS correct
    FROM responses GROUP BY 1
), watching AS (
    SELECT date_trunc('week', time) AS week, sum(watched_seconds) / 60 AS minutes
    FROM views GROUP BY 1
)
SELECT CAST(a.week AS DATE) AS week, a.active_students,
       coalesce(n.answers, 0) AS answers,
       round(n.correct * 100, 1) AS percent_correct,
       round(coalesce(w.minutes, 0)) AS minutes_watched
FROM active a
LEFT JOIN answers n USING (week)
LEFT JOIN watching w USING (week)
ORDER BY a.week;

-- One line per class: size, answers given and share correct, minutes watched.
SELECT
    c.class_id,
    c.name,
    count(DISTINCT s.student_id) AS students,
    coalesce(sum(r.responses), 0) AS responses,
    sum(r.correct) / nullif(sum(r.responses), 0) AS correct_rate,
    coalesce(sum(v.watched_seconds), 0) / 60.0 AS minutes_watched
FROM classes c
LEFT JOIN students s ON s.class_id = c.class_id
LEFT JOIN (
    SELECT student_id, count(*) AS responses, sum(correct) AS correct
    FROM responses GROUP BY student_id
) r ON r.student_id = s.student_id
LEFT JOIN (
    SELECT student_id, sum(watched_seconds) AS watched_seconds
    FROM views GROUP BY student_id
) v ON v.student_id = s.student_id
GROUP BY c.class_id, c.name
ORDER BY c.class_id;

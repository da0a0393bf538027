-- Of the classes $1 (ids joined by chr(31)): weeks from the week of $2 (NULL: all):
-- students active, answers, share right and minutes watched, weeks with any activity.
WITH span AS (SELECT min(week) AS first_week FROM activity_weekly)
SELECT s.class_id, CAST(CAST(w.week AS DATE) AS VARCHAR) AS week,
       datediff('week', any_value(span.first_week), w.week)::INTEGER AS week_index,
       count(DISTINCT w.student_id)::UBIGINT AS active,
       sum(w.responses)::UBIGINT AS answers, sum(w.correct)::UBIGINT AS correct,
       (sum(w.watched_seconds) / 60)::DOUBLE AS minutes_watched
FROM activity_weekly w
JOIN students s USING (student_id)
CROSS JOIN span
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
  AND ($2::DATE IS NULL OR w.week >= date_trunc('week', $2::DATE))
GROUP BY s.class_id, w.week
ORDER BY s.class_id, w.week;

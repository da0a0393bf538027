-- Students with no activity of any kind in the last 14 days of data.
WITH last_seen AS (
    SELECT student_id, max(time) AS last_active FROM (
        SELECT student_id, time FROM responses
        UNION ALL SELECT student_id, time FROM views
        UNION ALL SELECT student_id, time FROM navigation
    ) GROUP BY student_id
), data_end AS (SELECT max(last_active) AS t FROM last_seen)
SELECT s.student_id, s.display_name, c.name AS class,
       CAST(l.last_active AS DATE) AS last_active,
       date_diff('day', l.last_active, (SELECT t FROM data_end)) AS days_inactive
FROM students s
JOIN classes c USING (class_id)
LEFT JOIN last_seen l USING (student_id)
WHERE l.last_active IS NULL OR l.last_active < (SELECT t FROM data_end) - INTERVAL 14 DAY
ORDER BY days_inactive DESC NULLS FIRST, s.student_id;

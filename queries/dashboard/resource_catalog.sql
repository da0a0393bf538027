-- The catalog with how it is used: views, distinct viewers, share completed, average watch time.
WITH used AS (
    SELECT resource_id, count(*) AS views, count(DISTINCT student_id) AS viewers,
           avg(completed::INTEGER) AS completion_rate, avg(watched_seconds) / 60 AS avg_minutes
    FROM views GROUP BY resource_id
)
SELECT r.resource_id, r.kind, r.title, coalesce(k.name, '') AS skill,
       r.difficulty::DOUBLE AS difficulty, r.minutes::DOUBLE AS minutes,
       coalesce(u.views, 0)::UBIGINT AS views, coalesce(u.viewers, 0)::UBIGINT AS viewers,
       u.completion_rate::DOUBLE AS completion_rate, u.avg_minutes::DOUBLE AS avg_minutes
FROM resources r
LEFT JOIN skills k USING (skill_id)
LEFT JOIN used u USING (resource_id)
ORDER BY r.resource_id;

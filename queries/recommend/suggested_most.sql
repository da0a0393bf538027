-- Which resources are suggested most (to the class $1, or to everyone when
-- NULL), to how many students, and to which classes.
SELECT r.resource_id, res.title, res.kind, coalesce(k.name, '') AS skill,
       count(*)::BIGINT AS students, count(*) FILTER (WHERE r.rank <= 3)::BIGINT AS top3,
       avg(r.predicted_success)::DOUBLE AS predicted_success,
       string_agg(DISTINCT s.class_id, ', ' ORDER BY s.class_id) AS classes
FROM recommendations r
JOIN resources res USING (resource_id)
JOIN students s USING (student_id)
LEFT JOIN skills k ON k.skill_id = res.skill_id
WHERE $1::VARCHAR IS NULL OR s.class_id = $1
GROUP BY ALL
ORDER BY students DESC, r.resource_id;

-- Which resources are suggested most to each of the classes $1 (ids joined by chr(31)), to
-- how many of its students, how often in their top three, and their mean predicted
-- success.
SELECT s.class_id, r.resource_id, res.title, res.kind, coalesce(k.name, '') AS skill,
       count(*)::BIGINT AS students, count(*) FILTER (WHERE r.rank <= 3)::BIGINT AS top3,
       avg(r.predicted_success)::DOUBLE AS predicted_success
FROM recommendations r
JOIN resources res USING (resource_id)
JOIN students s USING (student_id)
LEFT JOIN skills k ON k.skill_id = res.skill_id
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
GROUP BY ALL
ORDER BY s.class_id, students DESC, r.resource_id;

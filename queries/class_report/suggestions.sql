-- Of the classes $1 (ids joined by chr(31)): stored suggestions, with the resource and its
-- skill.
SELECT r.student_id, r.rank, r.resource_id, res.title, res.kind, coalesce(k.name, '') AS skill,
       r.score, r.pinned, r.predicted_success, r.mastery, r.reasons
FROM recommendations r
JOIN students s USING (student_id)
JOIN resources res USING (resource_id)
LEFT JOIN skills k ON k.skill_id = res.skill_id
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
ORDER BY r.student_id, r.rank;

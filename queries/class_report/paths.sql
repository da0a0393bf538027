-- Of the classes $1 (ids joined by chr(31)): learning paths, with skill and resource
-- names.
SELECT p.student_id, p.step, p.skill_id, k.name, p.mastery, p.assessed, p.resource_id, res.title, p.why
FROM learning_paths p
JOIN students s USING (student_id)
JOIN skills k USING (skill_id)
LEFT JOIN resources res ON res.resource_id = p.resource_id
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
ORDER BY p.student_id, p.step;

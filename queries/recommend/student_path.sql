-- One student's learning path, with skill and resource names.
SELECT p.step, p.skill_id, k.name, p.mastery, p.assessed, p.resource_id, res.title, p.why
FROM learning_paths p
JOIN skills k USING (skill_id)
LEFT JOIN resources res ON res.resource_id = p.resource_id
WHERE p.student_id = $1
ORDER BY p.step;

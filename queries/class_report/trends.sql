-- Of the classes $1 (ids joined by chr(31)): trends per student and skill.
SELECT t.student_id, t.skill_id, t.direction, t.since_week, t.from_theta, t.to_theta, t.evidence
FROM ability_trends t JOIN students s USING (student_id)
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
ORDER BY t.student_id, t.skill_id;

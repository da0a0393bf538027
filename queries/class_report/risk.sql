-- The at-risk rules that fired for the class's ($1) students, with their reasons.
SELECT f.student_id, f.rule, f.skill_id, f.reason
FROM risk_flags f JOIN students s USING (student_id)
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
ORDER BY f.student_id, f.rule, f.skill_id;

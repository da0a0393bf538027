-- One student's answers per skill: how many, the share correct, and the last one.
SELECT k.skill_id, k.subject, k.name,
       count(*)::UBIGINT AS responses, avg(r.correct)::DOUBLE AS correct_rate,
       CAST(max(r.time) AS VARCHAR) AS last
FROM responses r
JOIN items i USING (item_id)
JOIN skills k ON k.skill_id = i.skill_id
WHERE r.student_id = ?
GROUP BY k.skill_id, k.subject, k.name
ORDER BY k.subject, k.skill_id;

-- Each student's first answer to each item, with the item's skill: the data
-- the per-skill fits read. Later attempts are practice, not evidence of where
-- the student started.
SELECT i.skill_id, r.student_id, r.item_id,
       arg_min(r.correct, (r.time, r.attempt)) AS correct
FROM responses r
JOIN items i USING (item_id)
GROUP BY i.skill_id, r.student_id, r.item_id
ORDER BY i.skill_id, r.student_id, r.item_id

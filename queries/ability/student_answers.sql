-- One student's first attempt at each item, with the item's estimated
-- parameters: the evidence behind their abilities.
SELECT e.skill_id, r.item_id,
       arg_min(r.correct, (r.time, r.attempt)) AS correct,
       any_value(e.difficulty), any_value(e.discrimination)
FROM responses r
JOIN item_estimates e USING (item_id)
WHERE r.student_id = ?
GROUP BY e.skill_id, r.item_id
ORDER BY e.skill_id, r.item_id

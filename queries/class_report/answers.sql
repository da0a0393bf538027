-- Of the classes $1 (ids joined by chr(31)): first attempts at each item with the item's
-- estimated parameters: the evidence behind each ability.
SELECT r.student_id, e.skill_id, r.item_id,
       arg_min(r.correct, (r.time, r.attempt)) AS correct,
       any_value(e.difficulty), any_value(e.discrimination)
FROM responses r
JOIN students s USING (student_id)
JOIN item_estimates e USING (item_id)
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
GROUP BY r.student_id, e.skill_id, r.item_id
ORDER BY r.student_id, e.skill_id, r.item_id;

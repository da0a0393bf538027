-- Each student's first answer to each item, with the item's skill and the week
-- it was given (weeks since the data's first, as the dashboard counts them):
-- the data the per-skill fits and trajectories read. Later attempts are
-- practice, not evidence of where the student stood.
SELECT i.skill_id, r.student_id, r.item_id,
       arg_min(r.correct, (r.time, r.attempt)) AS correct,
       datediff('week', (SELECT min(week) FROM activity_weekly),
                date_trunc('week', min(r.time)))::UINTEGER AS week
FROM responses r
JOIN items i USING (item_id)
GROUP BY i.skill_id, r.student_id, r.item_id
ORDER BY i.skill_id, r.student_id, r.item_id

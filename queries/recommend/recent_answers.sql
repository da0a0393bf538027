-- First attempts given since $1 (epoch seconds), per student and skill: with
-- recent views, what each student is working on now.
SELECT f.student_id, i.skill_id, count(*)::BIGINT FROM (
    SELECT student_id, item_id, min(time) AS first FROM responses GROUP BY student_id, item_id
) f JOIN items i USING (item_id)
WHERE f.first >= to_timestamp($1)::TIMESTAMP
GROUP BY f.student_id, i.skill_id;

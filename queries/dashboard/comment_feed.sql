-- The latest comments of one class ($1), or of the whole school when $1 is NULL,
-- with what the comments stage read in them (NULL before `classlens analyze`).
SELECT CAST(c.time AS VARCHAR) AS time, s.class_id, c.student_id, s.display_name, c.text,
       i.sentiment, i.status, k.name AS topic, i.topic_from
FROM comments c
JOIN students s USING (student_id)
LEFT JOIN comment_insights i USING (comment_id)
LEFT JOIN skills k ON k.skill_id = i.skill_id
WHERE $1 IS NULL OR s.class_id = $1
ORDER BY c.time DESC, c.comment_id
LIMIT 2000;

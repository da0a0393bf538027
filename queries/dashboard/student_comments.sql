-- One student's latest comments, with the resource each is about and what the
-- comments stage read in it (NULL before `classlens analyze`).
SELECT CAST(c.time AS VARCHAR) AS time, coalesce(r.title, '') AS resource, c.text,
       i.sentiment, i.status, k.name AS topic, i.topic_from
FROM comments c
LEFT JOIN resources r USING (resource_id)
LEFT JOIN comment_insights i USING (comment_id)
LEFT JOIN skills k ON k.skill_id = i.skill_id
WHERE c.student_id = ?
ORDER BY c.time DESC, c.comment_id
LIMIT 50;

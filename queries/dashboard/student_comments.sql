-- One student's latest comments, with the resource each is about.
SELECT CAST(c.time AS VARCHAR) AS time, coalesce(r.title, '') AS resource, c.text
FROM comments c LEFT JOIN resources r USING (resource_id)
WHERE c.student_id = ?
ORDER BY c.time DESC, c.comment_id
LIMIT 50;

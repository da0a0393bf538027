-- The 50 most recent comments, with who wrote them and on what.
SELECT CAST(m.time AS VARCHAR) AS time, s.display_name AS student, c.name AS class,
       coalesce(r.title, '') AS resource, m.text
FROM comments m
JOIN students s USING (student_id)
JOIN classes c USING (class_id)
LEFT JOIN resources r USING (resource_id)
ORDER BY m.time DESC, m.comment_id
LIMIT 50;

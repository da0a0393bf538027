-- Of the classes $1 (ids joined by chr(31)): comments from $2 (NULL: all), newest first,
-- with their sentiment and language.
SELECT c.student_id, CAST(c.time AS VARCHAR), coalesce(res.title, ''), c.text, i.sentiment,
       i.language
FROM comments c
JOIN students s USING (student_id)
LEFT JOIN resources res USING (resource_id)
LEFT JOIN comment_insights i USING (comment_id)
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
  AND ($2::DATE IS NULL OR c.time >= $2::DATE)
ORDER BY c.student_id, c.time DESC;

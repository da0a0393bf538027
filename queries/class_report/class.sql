-- The classes $1 (ids joined by chr(31)) and how many students each has; no row for an id
-- that is no class.
SELECT c.class_id, c.name, coalesce(c.grade, '') AS grade, coalesce(c.teacher, '') AS teacher,
       count(s.student_id)::BIGINT AS students
FROM classes c
LEFT JOIN students s USING (class_id)
WHERE c.class_id IN (SELECT unnest(string_split($1, chr(31))))
GROUP BY ALL
ORDER BY c.class_id;

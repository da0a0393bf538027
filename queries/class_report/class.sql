-- One class ($1) and how many students it has; no row when there is no such class.
SELECT c.class_id, c.name, coalesce(c.grade, '') AS grade, coalesce(c.teacher, '') AS teacher,
       count(s.student_id)::BIGINT AS students
FROM classes c
LEFT JOIN students s USING (class_id)
WHERE c.class_id = $1
GROUP BY ALL;

-- Every class with its student count, for the school report's index.
SELECT c.class_id, c.name, coalesce(c.grade, '') AS grade, coalesce(c.teacher, '') AS teacher,
       count(s.student_id)::BIGINT AS students
FROM classes c
LEFT JOIN students s USING (class_id)
GROUP BY ALL
ORDER BY c.class_id;

-- Student $1's class and how many students it has.
SELECT s.class_id, count(*)::BIGINT
FROM students s JOIN students c ON c.class_id = s.class_id
WHERE s.student_id = $1
GROUP BY s.class_id;

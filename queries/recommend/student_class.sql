-- Student $1's class and how many students it has.
SELECT s.class_id, (SELECT count(*) FROM students c WHERE c.class_id = s.class_id)::BIGINT
FROM students s WHERE s.student_id = $1;

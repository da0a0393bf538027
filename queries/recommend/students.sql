-- Students with their class; $1 > 1 keeps the sample whose id hashes to 0 mod $1.
SELECT student_id, class_id FROM students
WHERE $1 <= 1 OR hash(student_id) % $1 = 0
ORDER BY student_id;

-- Every view, timed; $1 > 1 samples students as in students.sql.
SELECT student_id, resource_id, epoch(time)::BIGINT, completed FROM views
WHERE $1 <= 1 OR hash(student_id) % $1 = 0;

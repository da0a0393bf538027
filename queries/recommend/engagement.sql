-- What each student (or only student $1) did with each resource they opened:
-- completed it or not.
SELECT student_id, resource_id, bool_or(completed) FROM views
WHERE $1::VARCHAR IS NULL OR student_id = $1
GROUP BY student_id, resource_id;

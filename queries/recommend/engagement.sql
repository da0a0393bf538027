-- What each student did with each resource they opened: completed it or not.
SELECT student_id, resource_id, bool_or(completed) FROM views GROUP BY student_id, resource_id;

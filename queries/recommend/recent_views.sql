-- Views since $1 (epoch seconds), per student and resource: everyone's, or only student $2's.
SELECT student_id, resource_id, count(*)::BIGINT FROM views
WHERE time >= to_timestamp($1)::TIMESTAMP AND ($2::VARCHAR IS NULL OR student_id = $2)
GROUP BY student_id, resource_id;

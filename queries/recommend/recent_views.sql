-- Views since $1 (epoch seconds), per student and resource.
SELECT student_id, resource_id, count(*)::BIGINT FROM views
WHERE time >= to_timestamp($1)::TIMESTAMP
GROUP BY student_id, resource_id;

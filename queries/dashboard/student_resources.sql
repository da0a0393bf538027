-- What one student watched or read: how often, for how long, and whether to the end.
SELECT r.resource_id, r.kind, r.title,
       count(*)::UBIGINT AS views,
       (sum(v.watched_seconds) / 60)::DOUBLE AS minutes,
       bool_or(v.completed) AS completed,
       CAST(max(v.time) AS VARCHAR) AS last
FROM views v JOIN resources r USING (resource_id)
WHERE v.student_id = ?
GROUP BY ALL
ORDER BY max(v.time) DESC, r.resource_id
LIMIT 100;

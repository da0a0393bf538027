-- One student's latest searches.
SELECT CAST(time AS VARCHAR) AS time, query
FROM searches WHERE student_id = ?
ORDER BY time DESC, query
LIMIT 50;

-- Each resource's views, completion rate and how much of it students watch or read on average.
SELECT r.resource_id, r.kind, r.title,
       count(v.student_id) AS views,
       count(DISTINCT v.student_id) AS students,
       round(avg(CASE WHEN v.completed THEN 100.0 ELSE 0.0 END), 1) AS percent_completed,
       round(avg(v.watched_seconds / nullif(r.minutes * 60, 0)) * 100, 1) AS percent_watched
FROM resources r
LEFT JOIN views v USING (resource_id)
GROUP BY ALL
ORDER BY views DESC, r.resource_id;

-- Scored comments per week and sentiment, for one class ($1) or the whole school
-- (NULL); weeks start on Monday.
SELECT CAST(date_trunc('week', c.time) AS DATE)::VARCHAR AS week,
       count(*) FILTER (WHERE i.sentiment = 'negative')::UBIGINT AS negative,
       count(*) FILTER (WHERE i.sentiment = 'neutral')::UBIGINT AS neutral,
       count(*) FILTER (WHERE i.sentiment = 'positive')::UBIGINT AS positive
FROM comments c
JOIN students s USING (student_id)
JOIN comment_insights i USING (comment_id)
WHERE ($1 IS NULL OR s.class_id = $1) AND i.status = 'scored'
GROUP BY 1
ORDER BY 1;

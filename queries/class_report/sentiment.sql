-- Of the classes $1 (ids joined by chr(31)): scored comments per week from $2 (NULL: all):
-- how many, by how many students, per label, and the mean P(positive) - P(negative).
SELECT s.class_id, CAST(date_trunc('week', c.time) AS DATE)::VARCHAR AS week,
       count(*)::UBIGINT AS comments, count(DISTINCT c.student_id)::UBIGINT AS writers,
       count(*) FILTER (WHERE i.sentiment = 'negative')::UBIGINT AS negative,
       count(*) FILTER (WHERE i.sentiment = 'neutral')::UBIGINT AS neutral,
       count(*) FILTER (WHERE i.sentiment = 'positive')::UBIGINT AS positive,
       avg(i.p_positive - i.p_negative)::DOUBLE AS mood
FROM comments c
JOIN students s USING (student_id)
JOIN comment_insights i USING (comment_id)
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
  AND i.status = 'scored' AND ($2::DATE IS NULL OR c.time >= $2::DATE)
GROUP BY 1, 2
ORDER BY 1, 2;

-- One student's mood week by week: the mean P(positive) - P(negative) of their scored
-- comments and how many; `week_index` counts from the first week of the whole data, as in
-- student_weeks.sql.
SELECT week_index::UINTEGER AS week_index, mood, comments FROM (
    SELECT datediff('week', (SELECT min(week) FROM activity_weekly),
                    date_trunc('week', c.time)) AS week_index,
           avg(i.p_positive - i.p_negative)::DOUBLE AS mood,
           count(*)::UBIGINT AS comments
    FROM comments c JOIN comment_insights i USING (comment_id)
    WHERE c.student_id = ? AND i.status = 'scored'
    GROUP BY 1
)
WHERE week_index >= 0
ORDER BY week_index;

-- Per student: answers, share correct, time on task, last activity (and days since, counted
-- back from the last activity in the data) and answers per week as `week:answers` pairs
-- (week 0 is the first Monday of data), for rosters and their trends; and the mood of their
-- comments: the mean of P(positive) - P(negative) over those the sentiment head scored; their
-- mean ability over the skills they answered in, and how many at-risk rules fired for them
-- (NULL both until abilities are fitted).
WITH span AS (
    SELECT min(week) AS first_week, max(last) AS as_of FROM activity_weekly
), mood AS (
    SELECT c.student_id, avg(i.p_positive - i.p_negative)::DOUBLE AS mood
    FROM comment_insights i JOIN comments c USING (comment_id)
    WHERE i.status = 'scored'
    GROUP BY c.student_id
), ability AS (
    SELECT student_id, avg(theta)::DOUBLE AS ability FROM ability_estimates GROUP BY student_id
), risk AS (
    SELECT student_id, count(DISTINCT rule)::UINTEGER AS rules FROM risk_flags GROUP BY student_id
), fitted AS (
    SELECT count(*) > 0 AS yes FROM ability_source
)
SELECT s.student_id, s.display_name, s.class_id,
       coalesce(sum(w.responses), 0)::UBIGINT AS responses,
       coalesce(sum(w.correct), 0)::UBIGINT AS correct,
       coalesce(sum(w.answer_seconds), 0)::DOUBLE AS answer_seconds,
       coalesce(sum(w.watched_seconds), 0)::DOUBLE AS watched_seconds,
       CAST(max(w.last) AS VARCHAR) AS last_active,
       datediff('day', max(w.last), any_value(span.as_of))::INTEGER AS idle_days,
       coalesce(string_agg(datediff('week', span.first_week, w.week) || ':' || w.responses, ' '
                           ORDER BY w.week), '') AS weekly_responses,
       any_value(m.mood) AS mood,
       any_value(a.ability) AS ability,
       CASE WHEN any_value(fitted.yes) THEN coalesce(any_value(r.rules), 0) END AS risk
FROM students s
LEFT JOIN activity_weekly w USING (student_id)
LEFT JOIN mood m USING (student_id)
LEFT JOIN ability a USING (student_id)
LEFT JOIN risk r USING (student_id)
CROSS JOIN span
CROSS JOIN fitted
GROUP BY s.student_id, s.display_name, s.class_id
ORDER BY s.student_id;

-- Of the classes $1 (ids joined by chr(31)): students from the week of $2 (NULL: the whole
-- term): answers, share right, minutes on task, last activity; their mean ability over the
-- skills they answered and its SD (independent skills), at-risk rules, the mood of their
-- comments (mean P(positive) - P(negative) over the scored ones).
WITH span AS (
    SELECT min(week) AS first_week FROM activity_weekly
), activity AS (
    SELECT w.student_id, sum(w.responses)::UBIGINT AS answers, sum(w.correct)::UBIGINT AS correct,
           ((sum(w.answer_seconds) + sum(w.watched_seconds)) / 60)::DOUBLE AS minutes,
           CAST(CAST(max(w.last) AS DATE) AS VARCHAR) AS last_active,
           count(*)::UINTEGER AS active_weeks
    FROM activity_weekly w JOIN students s USING (student_id)
    WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
      AND ($2::DATE IS NULL OR w.week >= date_trunc('week', $2::DATE))
    GROUP BY w.student_id
), ability AS (
    SELECT e.student_id, avg(e.theta)::DOUBLE AS theta,
           (sqrt(sum(e.sd * e.sd)) / count(*))::DOUBLE AS sd, count(*)::UINTEGER AS skills
    FROM ability_estimates e JOIN students s USING (student_id)
    WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
    GROUP BY e.student_id
), risk AS (
    SELECT student_id, count(DISTINCT rule)::UINTEGER AS rules FROM risk_flags GROUP BY student_id
), mood AS (
    SELECT c.student_id, avg(i.p_positive - i.p_negative)::DOUBLE AS mood,
           count(*)::UINTEGER AS comments
    FROM comment_insights i JOIN comments c USING (comment_id) JOIN students s USING (student_id)
    WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
      AND i.status = 'scored' AND ($2::DATE IS NULL OR c.time >= $2::DATE)
    GROUP BY c.student_id
)
SELECT s.class_id, s.student_id, s.display_name,
       coalesce(a.answers, 0)::UBIGINT, coalesce(a.correct, 0)::UBIGINT,
       coalesce(a.minutes, 0)::DOUBLE, a.last_active, coalesce(a.active_weeks, 0)::UINTEGER,
       b.theta, b.sd, coalesce(b.skills, 0)::UINTEGER,
       coalesce(r.rules, 0)::UINTEGER, m.mood, coalesce(m.comments, 0)::UINTEGER
FROM students s
LEFT JOIN activity a USING (student_id)
LEFT JOIN ability b USING (student_id)
LEFT JOIN risk r USING (student_id)
LEFT JOIN mood m USING (student_id)
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
ORDER BY s.class_id, s.display_name, s.student_id;

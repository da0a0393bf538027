-- Every student's minutes watched and answers in their first weeks (before the
-- recent window) and within the recent window, the data's last weeks; the
-- parameters: the window's weeks, then the first weeks' (three times).
-- Students with no activity have zeros.
WITH span AS (
    SELECT max(week) - to_weeks(?::INTEGER - 1) AS window_start FROM activity_weekly
), starts AS (
    SELECT student_id, min(week) AS first_week FROM activity_weekly GROUP BY student_id
), per_student AS (
    SELECT a.student_id,
           least(datediff('week', any_value(f.first_week), any_value(s.window_start)), ?)
               AS weeks_before,
           sum(a.watched_seconds / 60) FILTER (WHERE a.week < s.window_start
               AND a.week < f.first_week + to_weeks(?::INTEGER)) AS minutes_before,
           sum(a.responses) FILTER (WHERE a.week < s.window_start
               AND a.week < f.first_week + to_weeks(?::INTEGER)) AS answers_before,
           sum(a.watched_seconds / 60) FILTER (WHERE a.week >= s.window_start) AS minutes_recent,
           sum(a.responses) FILTER (WHERE a.week >= s.window_start) AS answers_recent
    FROM activity_weekly a
    JOIN starts f USING (student_id)
    CROSS JOIN span s
    GROUP BY a.student_id
)
SELECT st.student_id,
       greatest(coalesce(p.weeks_before, 0), 0)::UINTEGER,
       coalesce(p.minutes_before, 0)::DOUBLE,
       coalesce(p.answers_before, 0)::DOUBLE,
       coalesce(p.minutes_recent, 0)::DOUBLE,
       coalesce(p.answers_recent, 0)::DOUBLE
FROM students st
LEFT JOIN per_student p USING (student_id)
ORDER BY st.student_id

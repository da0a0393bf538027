-- Per class: students, those active in the last 7 days of data, answers, correct answers,
-- minutes on task (answering and watching) and answers per week as `week:answers` pairs.
WITH span AS (
    SELECT min(week) AS first_week, max(last) AS as_of FROM activity_weekly
), per_student AS (
    SELECT student_id, sum(responses) AS responses, sum(correct) AS correct,
           sum(answer_seconds + watched_seconds) AS seconds, max(last) AS last
    FROM activity_weekly GROUP BY student_id
), per_class AS (
    SELECT s.class_id, count(*) AS students,
           count(*) FILTER (WHERE p.last >= (SELECT as_of FROM span) - INTERVAL 7 DAY) AS active,
           sum(p.responses) AS responses, sum(p.correct) AS correct, sum(p.seconds) / 60 AS minutes
    FROM students s LEFT JOIN per_student p USING (student_id)
    GROUP BY s.class_id
), per_class_week AS (
    SELECT s.class_id, w.week, sum(w.responses) AS responses
    FROM activity_weekly w JOIN students s USING (student_id)
    GROUP BY ALL
), trend AS (
    SELECT w.class_id,
           string_agg(datediff('week', span.first_week, w.week) || ':' || w.responses, ' '
                      ORDER BY w.week) AS weekly
    FROM per_class_week w CROSS JOIN span
    GROUP BY w.class_id
)
SELECT c.class_id, c.name, coalesce(c.teacher, '') AS teacher,
       coalesce(pc.students, 0)::UBIGINT AS students,
       coalesce(pc.active, 0)::UBIGINT AS active_this_week,
       coalesce(pc.responses, 0)::UBIGINT AS responses,
       coalesce(pc.correct, 0)::UBIGINT AS correct,
       coalesce(pc.minutes, 0)::DOUBLE AS minutes_on_task,
       coalesce(t.weekly, '') AS weekly_responses
FROM classes c
LEFT JOIN per_class pc USING (class_id)
LEFT JOIN trend t USING (class_id)
ORDER BY c.class_id;

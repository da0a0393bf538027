-- Forgets activity_weekly for the (student, week) pairs in temp.touched_weeks: the weeks
-- that an ingest adds answers or views to. activity_weekly_fill.sql computes them again.
DELETE FROM activity_weekly a USING temp.touched_weeks t
WHERE a.student_id = t.student_id AND a.week = t.week;

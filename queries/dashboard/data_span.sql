-- The first Monday and the last answer or view, and the weeks between: "this week"
-- and trends count back from the last activity in the data, not from today.
SELECT CAST(CAST(min(week) AS DATE) AS VARCHAR) AS first_week,
       CAST(max(last) AS VARCHAR) AS as_of,
       coalesce(datediff('week', min(week), max(last)) + 1, 0)::UINTEGER AS weeks
FROM activity_weekly;

-- The data's first Monday and last activity, and the Monday of the report's start ($1, a
-- date or NULL for the whole term) as a week counted from the first.
WITH span AS (
    SELECT min(week) AS first_week, max(last) AS as_of FROM activity_weekly
)
SELECT CAST(first_week AS DATE)::VARCHAR, CAST(as_of AS VARCHAR),
       CASE WHEN $1::DATE IS NULL THEN 0
            ELSE greatest(datediff('week', first_week, date_trunc('week', $1::DATE)), 0)
       END::INTEGER AS from_week
FROM span;

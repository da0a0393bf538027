-- One student's week by week: answers, correct answers and minutes watched; `week_index`
-- counts from the first week of the whole data, so gaps show as gaps.
SELECT CAST(CAST(week AS DATE) AS VARCHAR) AS week,
       datediff('week', (SELECT min(week) FROM activity_weekly), week)::UINTEGER AS week_index,
       responses::UBIGINT AS responses,
       correct::UBIGINT AS correct,
       (watched_seconds / 60)::DOUBLE AS minutes
FROM activity_weekly
WHERE student_id = ?
ORDER BY week;

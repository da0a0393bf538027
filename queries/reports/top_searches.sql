-- What students searched for most in the last four weeks of data.
SELECT lower(trim(query)) AS search, count(*) AS times, count(DISTINCT student_id) AS students
FROM searches
WHERE time >= (SELECT max(time) FROM searches) - INTERVAL 28 DAY
GROUP BY 1
ORDER BY times DESC, search
LIMIT 50;

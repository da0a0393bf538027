-- Students answering least well over the last four weeks of data (at least 10 answers).
WITH recent AS (
    SELECT * FROM responses
    WHERE time >= (SELECT max(time) FROM responses) - INTERVAL 28 DAY
)
SELECT s.student_id, s.display_name, c.name AS class,
       count(*) AS answers,
       round(avg(r.correct) * 100, 1) AS percent_correct
FROM recent r
JOIN students s USING (student_id)
JOIN classes c USING (class_id)
GROUP BY ALL
HAVING count(*) >= 10
ORDER BY percent_correct, answers DESC, s.student_id
LIMIT 50;

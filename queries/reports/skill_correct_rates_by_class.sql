-- Percent correct per class and skill, to see which class needs which skill revisited.
SELECT c.name AS class, k.subject, k.name AS skill,
       count(*) AS answers,
       round(avg(r.correct) * 100, 1) AS percent_correct
FROM responses r
JOIN students s USING (student_id)
JOIN classes c USING (class_id)
JOIN items i USING (item_id)
JOIN skills k ON k.skill_id = i.skill_id
GROUP BY ALL
ORDER BY class, k.subject, skill;

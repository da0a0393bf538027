-- Quiz items answered correctly least often (at least 20 answers): candidates to reteach or reword.
SELECT i.item_id, k.name AS skill, i.text,
       count(*) AS answers,
       round(avg(r.correct) * 100, 1) AS percent_correct
FROM responses r
JOIN items i USING (item_id)
JOIN skills k USING (skill_id)
GROUP BY ALL
HAVING count(*) >= 20
ORDER BY percent_correct, answers DESC, i.item_id
LIMIT 30;

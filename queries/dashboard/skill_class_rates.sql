-- Share of answers correct per skill and class: the skills heatmap.
SELECT i.skill_id, s.class_id, count(*)::UBIGINT AS responses, avg(r.correct)::DOUBLE AS correct_rate
FROM responses r
JOIN items i USING (item_id)
JOIN students s USING (student_id)
GROUP BY ALL;

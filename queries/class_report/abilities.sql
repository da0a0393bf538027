-- Each ability of the class's ($1) students: the estimate, its posterior SD, answers, and
-- the expected share right on the skill's items at the estimate (the mean 2PL probability
-- over the skill's fitted items).
WITH expected AS (
    SELECT e.student_id, e.skill_id,
           avg(1 / (1 + exp(-i.discrimination * (e.theta - i.difficulty))))::DOUBLE AS expected_right
    FROM ability_estimates e
    JOIN students s USING (student_id)
    JOIN item_estimates i USING (skill_id)
    WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
    GROUP BY e.student_id, e.skill_id
)
SELECT e.student_id, e.skill_id, k.name, e.theta, e.sd, e.answered, x.expected_right
FROM ability_estimates e
JOIN students s USING (student_id)
JOIN skills k USING (skill_id)
LEFT JOIN expected x USING (student_id, skill_id)
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
ORDER BY e.student_id, k.name, e.skill_id;

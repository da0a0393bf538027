-- One student's ability per skill, beside the mean of their class.
WITH class_means AS (
    SELECT s.class_id, e.skill_id, avg(e.theta) AS class_mean
    FROM ability_estimates e
    JOIN students s USING (student_id)
    GROUP BY s.class_id, e.skill_id
)
SELECT e.skill_id, k.name, e.theta, e.sd, e.answered, m.class_mean
FROM ability_estimates e
JOIN students s USING (student_id)
JOIN skills k USING (skill_id)
JOIN class_means m ON m.class_id = s.class_id AND m.skill_id = e.skill_id
WHERE e.student_id = ?
ORDER BY k.name, e.skill_id

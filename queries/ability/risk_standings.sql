-- Every student's ability per skill with its trend: what the at-risk rules read.
SELECT e.student_id, e.skill_id, k.name, e.theta, e.sd, e.answered,
       t.direction, t.since_week::UINTEGER, t.from_theta, t.to_theta
FROM ability_estimates e
JOIN skills k USING (skill_id)
LEFT JOIN ability_trends t USING (student_id, skill_id)
ORDER BY e.student_id, k.name, e.skill_id

-- Every stored ability estimate (from the last analyze).
SELECT student_id, skill_id, theta, sd FROM ability_estimates;

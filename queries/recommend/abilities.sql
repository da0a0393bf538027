-- Stored ability estimates (from the last analyze): everyone's, or only student $1's.
SELECT student_id, skill_id, theta, sd FROM ability_estimates
WHERE $1::VARCHAR IS NULL OR student_id = $1;

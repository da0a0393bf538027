-- Every skill, by subject.
SELECT skill_id, subject, name, description FROM skills ORDER BY subject, skill_id;

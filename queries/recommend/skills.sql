-- Skills in a fixed order, for the prerequisite graph.
SELECT skill_id, name FROM skills ORDER BY skill_id;

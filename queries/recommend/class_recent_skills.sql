-- Each skill's share of class $1's recent work (as of the last analyze).
SELECT skill_id, share FROM class_recent_skills WHERE class_id = $1;

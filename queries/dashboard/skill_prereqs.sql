-- Every prerequisite edge: prereq_id comes before skill_id.
SELECT skill_id, prereq_id FROM skill_prereqs ORDER BY skill_id, prereq_id;

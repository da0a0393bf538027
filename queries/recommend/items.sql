-- Each skill's fitted items (difficulty, discrimination), for expected shares right.
SELECT skill_id, difficulty, discrimination FROM item_estimates ORDER BY skill_id, item_id;

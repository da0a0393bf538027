-- Every item's skill.
SELECT item_id, skill_id FROM items ORDER BY item_id;

-- Every item's 2PL estimates beside its skill: flagged items first, then by
-- skill and difficulty.
SELECT e.item_id, k.name, e.difficulty, e.difficulty_se, e.discrimination,
       e.discrimination_se, e.answered, e.p_correct, e.infit, e.outfit, e.flags
FROM item_estimates e
JOIN skills k USING (skill_id)
ORDER BY e.flags = '', k.name, e.difficulty

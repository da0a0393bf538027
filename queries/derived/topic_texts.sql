-- The texts that describe each skill, for its topic prototype: what kind of
-- text ('skill', 'resource', 'item'), and the text as in analysis_texts.sql.
SELECT s.skill_id, s.name, 'skill' AS kind, s.name || ': ' || s.description AS text
FROM skills s
UNION ALL
SELECT r.skill_id, NULL, 'resource', r.title || '. ' || r.description
FROM resources r WHERE r.skill_id IS NOT NULL
UNION ALL
SELECT i.skill_id, NULL, 'item', i.text
FROM items i
ORDER BY 1, 3, 4;

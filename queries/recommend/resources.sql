-- The catalog; the text is what analyze encodes for the resource (see
-- queries/derived/analysis_texts.sql).
SELECT resource_id, title, kind, skill_id, difficulty::DOUBLE, title || '. ' || description
FROM resources ORDER BY resource_id;

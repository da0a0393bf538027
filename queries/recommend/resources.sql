-- The catalog; the text is what analyze encodes for the resource (see
-- queries/derived/analysis_texts.sql), only when $1 asks for it.
SELECT resource_id, title, kind, skill_id, difficulty::DOUBLE,
       CASE WHEN $1 THEN title || '. ' || description ELSE '' END
FROM resources ORDER BY resource_id;

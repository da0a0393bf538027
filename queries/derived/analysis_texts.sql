-- Every text the analysis reads: comments, searches, resource titles with their
-- descriptions, skill names with their descriptions, and item texts (distinct,
-- as written). The last three describe each skill for topic detection; keep
-- them in step with queries/derived/topic_texts.sql.
SELECT DISTINCT text FROM (
    SELECT text FROM comments
    UNION ALL SELECT query FROM searches
    UNION ALL SELECT title || '. ' || description FROM resources
    UNION ALL SELECT name || ': ' || description FROM skills
    UNION ALL SELECT text FROM items
);

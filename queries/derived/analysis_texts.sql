-- Every text the analysis reads: comments, searches, resource titles with their
-- descriptions, skill names with their descriptions, and item texts (distinct,
-- as written), each marked whether it is the catalogue's. The last three
-- describe each skill for topic detection; keep them in step with
-- queries/derived/topic_texts.sql.
SELECT text, bool_or(catalog) FROM (
    SELECT text, false AS catalog FROM comments
    UNION ALL SELECT query, false FROM searches
    UNION ALL SELECT title || '. ' || description, true FROM resources
    UNION ALL SELECT name || ': ' || description, true FROM skills
    UNION ALL SELECT text, true FROM items
)
WHERE text IS NOT NULL
GROUP BY text;

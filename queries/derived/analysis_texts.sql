-- Every text the analysis reads: comments, searches, resource titles with their
-- descriptions, and skill descriptions (distinct, as written).
SELECT DISTINCT text FROM (
    SELECT text FROM comments
    UNION ALL SELECT query FROM searches
    UNION ALL SELECT title || '. ' || description FROM resources
    UNION ALL SELECT description FROM skills
);

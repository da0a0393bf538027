-- The moment suggestions are made as of: the latest answer, view, comment or search.
SELECT epoch(max(t))::BIGINT FROM (
    SELECT max(time) AS t FROM responses
    UNION ALL SELECT max(time) FROM views
    UNION ALL SELECT max(time) FROM comments
    UNION ALL SELECT max(time) FROM searches
);

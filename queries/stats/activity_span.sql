-- First and last recorded student activity of any kind, and when data last arrived.
SELECT
    (SELECT CAST(min(t) AS VARCHAR) FROM (
        SELECT min(time) AS t FROM responses UNION ALL SELECT min(time) FROM views
        UNION ALL SELECT min(time) FROM navigation UNION ALL SELECT min(time) FROM searches
        UNION ALL SELECT min(time) FROM comments)) AS first_activity,
    (SELECT CAST(max(t) AS VARCHAR) FROM (
        SELECT max(time) AS t FROM responses UNION ALL SELECT max(time) FROM views
        UNION ALL SELECT max(time) FROM navigation UNION ALL SELECT max(time) FROM searches
        UNION ALL SELECT max(time) FROM comments)) AS last_activity,
    (SELECT CAST(max(ingested_at) AS VARCHAR) FROM ingest_log) AS last_ingest;

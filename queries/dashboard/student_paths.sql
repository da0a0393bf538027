-- One student's most common browsing paths: two hops in a row, page to page to page.
WITH hops AS (
    SELECT from_page, to_page,
           lead(from_page) OVER (ORDER BY time, from_page, to_page) AS next_from,
           lead(to_page) OVER (ORDER BY time, from_page, to_page) AS next_to
    FROM navigation WHERE student_id = ?
)
SELECT from_page || ' > ' || to_page || ' > ' || next_to AS path, count(*)::UBIGINT AS times
FROM hops
WHERE next_from = to_page
GROUP BY ALL
ORDER BY times DESC, path
LIMIT 20;

-- One student's top skills by what they wrote and searched (student_topics),
-- with the latest comment or search that names each: the evidence.
WITH named AS (
    SELECT i.skill_id, c.time, c.text
    FROM comment_insights i JOIN comments c USING (comment_id)
    WHERE c.student_id = $1 AND i.topic_from = 'text'
    UNION ALL
    SELECT skill_id, time, query FROM search_insights
    WHERE student_id = $1 AND skill_id IS NOT NULL
)
SELECT k.name, t.weight, t.comments, t.searches,
       (SELECT n.text FROM named n WHERE n.skill_id = t.skill_id
        ORDER BY n.time DESC LIMIT 1) AS latest
FROM student_topics t JOIN skills k USING (skill_id)
WHERE t.student_id = $1
ORDER BY t.rank;

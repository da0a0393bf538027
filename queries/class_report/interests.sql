-- Of the classes $1 (ids joined by chr(31)): students' top three interests by what they
-- wrote and searched.
SELECT t.student_id, k.name, t.weight, t.comments, t.searches
FROM student_topics t
JOIN students s USING (student_id)
JOIN skills k USING (skill_id)
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
  AND t.rank <= 3
ORDER BY t.student_id, t.rank;

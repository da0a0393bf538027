-- Of the classes $1 (ids joined by chr(31)): weekly estimates from week $2 (counted from
-- the data's first week).
SELECT m.student_id, m.skill_id, m.week, m.theta, m.sd, m.answered
FROM mastery m JOIN students s USING (student_id)
WHERE s.class_id IN (SELECT unnest(string_split($1, chr(31))))
  AND m.week >= $2
ORDER BY m.student_id, m.skill_id, m.week;

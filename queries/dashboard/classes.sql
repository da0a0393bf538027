-- Every class with its teacher.
SELECT class_id, name, coalesce(teacher, '') AS teacher FROM classes ORDER BY class_id;

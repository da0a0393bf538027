-- Rows in every table, raw data first, then the demo's ground truth.
SELECT 'classes' AS table_name, count(*) AS row_count FROM classes
UNION ALL SELECT 'students', count(*) FROM students
UNION ALL SELECT 'skills', count(*) FROM skills
UNION ALL SELECT 'skill_prereqs', count(*) FROM skill_prereqs
UNION ALL SELECT 'items', count(*) FROM items
UNION ALL SELECT 'resources', count(*) FROM resources
UNION ALL SELECT 'responses', count(*) FROM responses
UNION ALL SELECT 'views', count(*) FROM views
UNION ALL SELECT 'navigation', count(*) FROM navigation
UNION ALL SELECT 'searches', count(*) FROM searches
UNION ALL SELECT 'comments', count(*) FROM comments
UNION ALL SELECT 'truth_students', count(*) FROM truth_students
UNION ALL SELECT 'truth_abilities', count(*) FROM truth_abilities
UNION ALL SELECT 'truth_items', count(*) FROM truth_items
UNION ALL SELECT 'truth_interests', count(*) FROM truth_interests
UNION ALL SELECT 'truth_resources', count(*) FROM truth_resources
UNION ALL SELECT 'truth_comments', count(*) FROM truth_comments
UNION ALL SELECT 'truth_searches', count(*) FROM truth_searches;

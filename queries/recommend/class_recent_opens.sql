-- How many students of class $1 opened each resource lately (as of the last analyze).
SELECT resource_id, students FROM class_recent_opens WHERE class_id = $1;

-- One student's stored inputs (see schema/010_recommend_inputs.sql).
SELECT kind, key, x, y, vector FROM recommend_inputs WHERE student_id = $1;

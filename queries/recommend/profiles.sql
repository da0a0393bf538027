-- Interest profiles made from the encoder $1's vectors: everyone's, or only student $2's.
SELECT student_id, vector FROM interest_profiles
WHERE model = $1 AND ($2::VARCHAR IS NULL OR student_id = $2);

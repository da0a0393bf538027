-- Interest profiles made from the encoder $1's vectors.
SELECT student_id, vector FROM interest_profiles WHERE model = $1;

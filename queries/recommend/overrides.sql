-- Teachers' pins and hides (everyone's, or only student $1's), oldest first:
-- pins keep that order.
SELECT student_id, resource_id, action FROM recommendation_overrides
WHERE $1::VARCHAR IS NULL OR student_id = $1
ORDER BY set_at, resource_id;

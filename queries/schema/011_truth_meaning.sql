-- Which comments say the same thing (one template, filled the same way), in
-- whatever language: how search across languages is scored on the demo.
ALTER TABLE truth_comments ADD COLUMN meaning VARCHAR;

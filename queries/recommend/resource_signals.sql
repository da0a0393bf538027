-- Completions, mean interest cosine and vector of every resource, as the last
-- analyze stored them.
SELECT resource_id, completions, interest_mean, vector FROM resource_signals;

-- step_chosen: the token a step chose and its bytes, read from the rows it returned into a
-- temporary table (one row per block, each with the token).
-- [n_layer rows] -> [1]
--
-- In psql: SELECT token, bytes FROM step_result LIMIT 1;
SELECT token, bytes
FROM {{result}}
LIMIT 1

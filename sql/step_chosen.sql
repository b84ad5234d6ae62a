-- step_chosen: the token each sequence of a step chose, with its bytes and, when asked, its
-- log-probability and the most probable alternatives (rank 1, 2, …), read from the rows the step
-- returned into a temporary table (step_tokens_kv.sql).
-- [S * (1 + logprobs) + n_layer] -> [S * (1 + logprobs)]
--
-- In psql: SELECT s, rank, token, bytes, logprob FROM step_result WHERE block IS NULL ORDER BY s, rank;
SELECT s, rank, token, bytes, logprob
FROM {{result}}
WHERE block IS NULL
ORDER BY s, rank

-- step_token_kv: what a step of the incremental engine returns: the chosen token and its bytes on
-- each of n_layer rows, one per block, with that block's keys and values of the new positions
-- (k and v, [T*C] each), for kv_save.sql to append to the cache.
-- [1], [n_layer, 2, T*C] -> [n_layer]: one row per block
--
-- In psql: the end of step.sql, after sample.sql's CTE chosen.
SELECT chosen.token, vocab.bytes, new_kv.block, new_kv.k, new_kv.v
FROM chosen
LEFT JOIN vocab USING (token)
CROSS JOIN (
  {{new_kv}}
) AS new_kv

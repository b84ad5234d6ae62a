-- kv_save: appends each block's keys and values of the new positions to the session's cache
-- (kv_cache, in the model's schema), one row per place and head, in the types attention uses,
-- so the next step computes only its own position. As a CTE of the step, it runs once, whether
-- or not anything reads it.
-- Inputs: forward (block, k, v float8[T*C]); session; start, the place of the first new position.
-- [n_layer, T*C] -> n_layer * T * NH rows of kv_cache
--
-- In psql: `gpt2sql sql` prints no step with a cache; the engine's statements are in the
-- snapshots of test/sql/ (step.array.sql).
INSERT INTO kv_cache (session, block, place, head, k, v)
SELECT {{session}}, forward.block, {{start}} + t, h,
       {{k}},
       {{v}}
FROM forward
CROSS JOIN generate_series(0, cardinality(forward.k) / {{n_embd}} - 1) AS t
CROSS JOIN generate_series(0, {{n_head}} - 1) AS h
WHERE forward.block >= 0

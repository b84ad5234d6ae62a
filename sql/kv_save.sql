-- kv_save: appends each block's keys and values of the new positions, as a step returned them, to
-- the cache of each position's generation session (kv_cache, in the model's schema), one row per
-- place and head, in the types attention uses, so the next step computes only its own position.
-- A statement of its own, after the step: PostgreSQL gives a statement that writes no parallel
-- workers.
-- Inputs: the step's result (block, k, v float8[T*C], on the rows of blocks); places and seqs
-- (int[], per position: its place, its sequence); sessions (bigint[], per sequence).
-- [n_layer, T*C] -> n_layer * T * NH rows of kv_cache
--
-- In psql: what the engine runs after each step (test/sql/__snapshots__/kv_save.sql).
INSERT INTO kv_cache (session, block, place, head, k, v)
SELECT ({{sessions}})[({{seqs}})[t + 1] + 1], result.block, ({{places}})[t + 1], h,
       {{k}},
       {{v}}
FROM {{result}} AS result
CROSS JOIN generate_series(0, cardinality(result.k) / {{n_embd}} - 1) AS t
CROSS JOIN generate_series(0, {{n_head}} - 1) AS h
WHERE result.block IS NOT NULL

-- kv_save: appends each block's keys and values of the new positions, as a step returned them, to
-- the cache of each position's generation session (kv_cache, in the model's schema), one row per
-- place and head, in the types attention uses, so the next step computes only its own position.
-- A statement of its own, after the step: PostgreSQL gives a statement that writes no parallel
-- workers.
-- Inputs: the step's result (block, k, v float8[T*C], on the rows of blocks); places and seqs
-- (int[], per position: its place, its sequence); sessions (bigint[], per sequence).
-- [n_layer, T*C] -> n_layer * T * NH rows of kv_cache
INSERT INTO kv_cache (session, block, place, head, k, v)
SELECT ($1::bigint[])[($2::int[])[t + 1] + 1], result.block, ($3::int[])[t + 1], h,
       result.k[t * 40 + h * 8 + 1 : t * 40 + (h + 1) * 8],
       result.v[t * 40 + h * 8 + 1 : t * 40 + (h + 1) * 8]
FROM step_result AS result
CROSS JOIN generate_series(0, cardinality(result.k) / 40 - 1) AS t
CROSS JOIN generate_series(0, 5 - 1) AS h
WHERE result.block IS NOT NULL

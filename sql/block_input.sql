-- block_input (the residual): the block's input, forward's row of the block before, one row per
-- position.
-- Inputs: forward.x (float8[T*C]).
-- [T*C] -> [T, C]
--
-- In psql: SELECT * FROM (VALUES (ARRAY[1, 2, 3, 4]::float8[])) AS forward(x), LATERAL (this,
-- {{n_embd}} = 2) AS residual;
SELECT t, forward.x[t * {{n_embd}} + 1 : (t + 1) * {{n_embd}}] AS x
FROM generate_series(0, cardinality(forward.x) / {{n_embd}} - 1) AS t

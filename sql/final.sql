-- final: the last block's output (forward's row of block n_layer - 1), one row per position:
-- every position, or only the last, whose logits choose the next token.
-- Inputs: forward (block, x float8[T*C]).
-- [T*C] -> [T', C]
--
-- In psql: SELECT * FROM (VALUES (0, ARRAY[1, 2, 3, 4]::float8[])) AS forward(block, x), LATERAL
--   (this, {{n_embd}} = 2, {{n_layer}} = 1, {{first_t}} = 0) AS final;
SELECT t, forward.x[t * {{n_embd}} + 1 : (t + 1) * {{n_embd}}] AS x
FROM forward
CROSS JOIN generate_series({{first_t}}, cardinality(forward.x) / {{n_embd}} - 1) AS t
WHERE forward.block = {{n_layer}} - 1

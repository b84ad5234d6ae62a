-- block_input (the residual): the block's input, the output of the block before (the embeddings
-- for the first), one row per position.
-- Inputs: the block's input (float8[T*C]): forward.x in the recursive CTE of forward.sql, or the
-- CTE of the block before when the blocks are written out one after another.
-- [T*C] -> [T, C]
--
-- In psql: this, {{input}} = ARRAY[1, 2, 3, 4]::float8[], {{n_embd}} = 2;
SELECT t, input.x[t * {{n_embd}} + 1 : (t + 1) * {{n_embd}}] AS x
FROM (SELECT {{input}} AS x) AS input
CROSS JOIN generate_series(0, cardinality(input.x) / {{n_embd}} - 1) AS t

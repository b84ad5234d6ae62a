-- block_output (residual3): the block's output, residual2 + the MLP's output, position by
-- position, flattened again into the one float8[] that forward.sql carries to the next block.
-- Inputs: residual2 and fcproj (t, x float8[C]).
-- [T, C] + [T, C] -> [T*C]
--
-- In psql: WITH residual2 (t, x) AS (VALUES (0, '{1,2}'::float8[]), (1, '{3,4}')), fcproj (t, x)
--   AS (VALUES (0, '{1,1}'::float8[]), (1, '{1,1}')) this;
SELECT array_agg(e.a + e.b) AS x
FROM (SELECT unnest(residual2.x) AS a, unnest(fcproj.x) AS b FROM residual2 JOIN fcproj USING (t) ORDER BY t) AS e

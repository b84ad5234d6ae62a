-- gelu (stage mlp): GPT-2's gelu, the tanh approximation, 0.5·v·(1 + tanh(√(2/π)·(v + 0.044715·v³))),
-- with v + 0.044715·v³ written v·(1 + 0.044715·v²): the cube of a tiny v would underflow, which
-- PostgreSQL reports as an error.
-- Inputs: fch (t, x float8[4*C]).
-- [T, 4*C] -> [T, 4*C]
--
-- In psql: WITH fch (t, x) AS (VALUES (0, '{-3,-1,0,1,3}'::float8[])) this;
SELECT fch.t, (SELECT array_agg(0.5 * e.v * (1 + tanh(sqrt(2 / pi()) * e.v * (1 + 0.044715 * e.v * e.v)))) FROM (SELECT unnest(fch.x) AS v) AS e) AS x
FROM fch

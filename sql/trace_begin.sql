-- trace_begin: the embeddings of the traced tokens (the CTE encoded, embed.sql) as the first row
-- of forward, the table that stands for forward.sql's recursive CTE: one row per block with its
-- output, block -1 being the embeddings.
-- [T] -> [T*C]
--
-- In psql: part of what `gpt2sql trace` runs, in one transaction (src/trace/).
DROP TABLE IF EXISTS pg_temp.fed;
CREATE TEMP TABLE fed ON COMMIT DROP AS
{{fed}};
DROP TABLE IF EXISTS pg_temp.forward;
CREATE TEMP TABLE forward ON COMMIT DROP AS
SELECT -1 AS block, encoded.x
FROM (
  {{encoded}}
) AS encoded;
INSERT INTO {{trace}}.encoded (t, x)
SELECT t, forward.x[t * {{n_embd}} + 1 : (t + 1) * {{n_embd}}]
FROM forward
CROSS JOIN generate_series(0, cardinality(forward.x) / {{n_embd}} - 1) AS t;

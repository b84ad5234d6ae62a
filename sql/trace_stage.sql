-- trace_stage: one CTE of the forward pass (a part of the block, or final and lnf, as the
-- engine's statements contain them) run on its own into a temporary table of the same name,
-- which the CTEs after it read as they would read the CTE. As in forward.sql's LATERAL subquery,
-- the CTE reads the block's input from forward: the row of the block before (-1: the embeddings).
-- [T, …] -> a temporary table of the part's rows
--
-- In psql: part of what `gpt2sql trace` runs, in one transaction (src/trace/).
DROP TABLE IF EXISTS pg_temp.{{name}};
CREATE TEMP TABLE {{name}} ON COMMIT DROP AS
SELECT stage.*
FROM forward
CROSS JOIN LATERAL (
  {{body}}
) AS stage
WHERE forward.block = {{previous}};

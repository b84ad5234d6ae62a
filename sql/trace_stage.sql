-- trace_stage: one CTE of the forward pass ({{name}}, from transformer.sql or block.sql as the
-- forward pass renders them) run on its own into a temporary table of the same name, which the
-- CTEs after it read as they would read the CTE. As in forward.sql's LATERAL subquery, the CTE
-- reads the block's input from forward: the row of block {{previous}} (-1: the embeddings).
DROP TABLE IF EXISTS pg_temp.{{name}};
CREATE TEMP TABLE {{name}} ON COMMIT DROP AS
SELECT stage.*
FROM forward
CROSS JOIN LATERAL (
  {{body}}
) AS stage
WHERE forward.block = {{previous}};

-- forward: every transformer block, in the article's shape: the body of a recursive CTE with one
-- row per block that carries the whole hidden state of the T new positions as one float8[] of T*C
-- values. Row -1 is the embedding; row b is the output of block b, computed from row b - 1 in a
-- LATERAL subquery (PostgreSQL forbids aggregates at the top level of a recursive term, not
-- inside a subquery). Each row also carries its block's keys and values of the new positions.
-- Inputs: encoded (x float8[T*C]); n_layer, from the catalog.
-- [T*C] -> [T*C] for each block
--
-- In psql: WITH RECURSIVE encoded AS (…), forward (block, x, k, v) AS (this) SELECT block,
-- cardinality(x) FROM forward; `gpt2sql sql next` prints it whole, with block.sql filled in.
SELECT -1, encoded.x, NULL::float8[], NULL::float8[]
FROM encoded
UNION ALL
SELECT forward.block + 1, transformer_block.x, transformer_block.k, transformer_block.v
FROM forward
CROSS JOIN LATERAL (
  {{block}}
) AS transformer_block
WHERE forward.block + 1 < {{n_layer}}

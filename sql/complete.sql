-- complete: the whole GPT in one statement, in the article's shape. The prompt is tokenized,
-- then a recursive CTE adds one token per row: each step runs the full forward pass over every
-- position so far and samples the next token (step.sql without a cache, in a LATERAL subquery
-- that receives the row's token ids), and the new tokens are detokenized at the end.
-- Generation stops as the engine's does: at <|endoftext|> (chosen, not returned), after
-- max_tokens new tokens, or when the model's n_ctx positions are full.
-- text -> [T] -> [T + n] -> text
--
-- In psql: `gpt2sql sql complete PROMPT` prints it with its values, ready to run.
WITH RECURSIVE
prompt AS (                     -- text -> [T]
  SELECT array_agg(token ORDER BY position) AS ids
  FROM (
    {{tokenize}}
  ) AS tokens
),
eot AS (                        -- GPT-2's <|endoftext|>, if the vocabulary has it
  SELECT token FROM vocab WHERE symbol = '<|endoftext|>'
),
generation (step, ids, token) AS (  -- one row per token chosen; step counts the new tokens
  SELECT 0, prompt.ids, NULL::int
  FROM prompt
  UNION ALL
  SELECT generation.step + 1, generation.ids || chosen.token, chosen.token
  FROM generation
  CROSS JOIN LATERAL (
    {{step}}
  ) AS chosen
  WHERE generation.step < {{max_tokens}}
    AND cardinality(generation.ids) < {{n_ctx}}
    AND (generation.step = 0 OR generation.token NOT IN (SELECT token FROM eot))
),
completion AS (                 -- [n]: the new tokens but <|endoftext|>, and why generation stopped
  SELECT coalesce(array_agg(generation.token ORDER BY generation.step)
                    FILTER (WHERE generation.step > 0 AND eot.token IS NULL), '{}') AS tokens,
         CASE WHEN count(eot.token) > 0 THEN 'eot'
              WHEN max(generation.step) >= {{max_tokens}} THEN 'max_tokens'
              ELSE 'n_ctx' END AS stop
  FROM generation
  LEFT JOIN eot USING (token)
)
SELECT prompt.ids AS prompt_tokens, completion.tokens, (
         {{detokenize}}
       ) AS text, completion.stop
FROM prompt
CROSS JOIN completion

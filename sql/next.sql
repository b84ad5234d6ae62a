-- next: the article's llm() function: the top candidates for the token after the given ones,
-- with their raw logits and their probabilities at the given temperature (at temperature 0
-- the greedy choice has probability 1 and every other token 0), ranked by logit, ties to the
-- lower id: a bounded sort of `top` rows, each probability exp(z - z_max) / total (probs.sql).
-- [T] -> [top]
--
-- In psql: `gpt2sql sql next PROMPT` prints it inside next_prompt.sql, with its values.
WITH RECURSIVE
{{transformer}},
logits AS (                     -- [1, C] -> [1, V]
  {{logits}}
),
choosing AS (                   -- [1]: the temperature of the probabilities
  {{choosing}}
),
{{probs}},
candidates AS (                 -- [top]: the most probable tokens, by logit
  SELECT (top.i - 1)::int AS token, top.logit, row_number() OVER (ORDER BY top.logit DESC, top.i) AS rank
  FROM (SELECT unnest(logits.logit) AS logit, generate_subscripts(logits.logit, 1) AS i
        FROM logits
        ORDER BY logit DESC, i
        LIMIT {{top}}) AS top
)
SELECT candidates.token, vocab.bytes, candidates.logit,
       CASE WHEN choosing.temperature = 0 THEN (candidates.rank = 1)::int  -- greedy
            WHEN candidates.logit / softmax.temperature - softmax.z_max > -700
            THEN exp(candidates.logit / softmax.temperature - softmax.z_max) / softmax.total
            ELSE 0 END::float8 AS probability
FROM candidates
CROSS JOIN choosing
LEFT JOIN softmax USING (t)
LEFT JOIN vocab USING (token)
ORDER BY candidates.logit DESC, candidates.token  -- the order of probability, also among equal ones

-- next: the article's llm() function: the top candidates for the token after the given ones,
-- with their raw logits and their probabilities at the given temperature (at temperature 0
-- the greedy choice has probability 1 and every other token 0), ranked by logit, ties to the
-- lower id.
-- [T] -> [top]
--
-- In psql: `gpt2sql sql next PROMPT` prints it inside next_prompt.sql, with its values.
WITH RECURSIVE
{{transformer}},
logits AS (                     -- [1, C] -> [V]
  {{logits}}
),
choosing AS (                   -- [1]: the temperature of the probabilities
  {{choosing}}
),
{{probs}},
candidates AS (                 -- [V]: the probabilities to show
  SELECT token, prob
  FROM probs
  UNION ALL
  SELECT token, CASE WHEN token = (SELECT token FROM logits ORDER BY logit DESC, token LIMIT 1) THEN 1 ELSE 0 END
  FROM logits
  WHERE {{temperature}} = 0
)
SELECT logits.token, vocab.bytes, logits.logit, candidates.prob AS probability
FROM candidates
JOIN logits USING (token)
LEFT JOIN vocab USING (token)
ORDER BY logits.logit DESC, logits.token  -- the order of probability, also among equal ones
LIMIT {{top}}

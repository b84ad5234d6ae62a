-- score: how probable the model finds a text, token by token: the forward pass over every
-- position, the logits of each (logits.sql) and their log-softmax (log_softmax.sql: the model's own
-- distribution, temperature 1, every token). At position t the text goes on with the token fed at
-- t + 1: its logprob there is log p(ids[t+1] | ids[0..t]), what perplexity is computed from. The
-- last position has no token after it (NULL). The text's first token has no logprob: nothing
-- comes before it. Beside it, the `top` most probable tokens at t (0: none) with their logprobs
-- and bytes, most probable first (by logit, ties to the lower id, as next.sql ranks them).
-- Inputs: the forward pass's, fed.sql's ids (the text, fed from place 0: start = 0); top (int).
-- [T] -> [T]: (t, token, logprob, top_tokens, top_logprobs, top_bytes)
--
-- In psql: `gpt2sql sql score TEXT` prints it inside score_text.sql, with its values.
WITH RECURSIVE
{{transformer}},
logits AS (                     -- [T, C] -> [T, V]
  {{logits}}
),
{{log_softmax}},
following AS (                  -- [T]: the token fed after each position (NULL after the last)
  SELECT fed.t, fed_next.token
  FROM fed
  LEFT JOIN fed AS fed_next ON fed_next.s = fed.s AND fed_next.place = fed.place + 1
),
ranked AS (                     -- [T, top]: the top most probable tokens at each position
  SELECT t, token, logprob, rank
  FROM (
    SELECT t, token, logprob, row_number() OVER (PARTITION BY t ORDER BY logit DESC, token) AS rank
    FROM logprobs
    WHERE {{top}} > 0
  ) AS by_probability
  WHERE rank <= {{top}}
),
alternatives AS (               -- [T]: them as arrays, most probable first
  SELECT ranked.t,
         array_agg(ranked.token ORDER BY ranked.rank) AS tokens,
         array_agg(ranked.logprob ORDER BY ranked.rank) AS logprobs,
         array_agg(vocab.bytes ORDER BY ranked.rank) AS bytes
  FROM ranked
  LEFT JOIN vocab USING (token)
  GROUP BY ranked.t
)
SELECT following.t, following.token, logprobs.logprob,
       coalesce(alternatives.tokens, '{}') AS top_tokens,
       coalesce(alternatives.logprobs, '{}') AS top_logprobs,
       coalesce(alternatives.bytes, '{}') AS top_bytes
FROM following
LEFT JOIN logprobs ON logprobs.t = following.t AND logprobs.token = following.token
LEFT JOIN alternatives ON alternatives.t = following.t
ORDER BY following.t

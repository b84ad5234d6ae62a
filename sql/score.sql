-- score: how probable the model finds a text, token by token: the forward pass over every
-- position, the logits of each (logits.sql) and their log-softmax (log_softmax.sql: the model's own
-- distribution, temperature 1, every token: one logsumexp per position). At position t the text goes on with the token fed at
-- t + 1: its logprob there is log p(ids[t+1] | ids[0..t]), what perplexity is computed from. The
-- last position has no token after it (NULL). The text's first token has no logprob: nothing
-- comes before it. Beside it, the `top` most probable tokens at t (0: none) with their logprobs
-- and bytes, most probable first (by logit, ties to the lower id, as next.sql ranks them: a
-- bounded sort of `top` rows).
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
alternatives AS (               -- [T]: the top most probable tokens at each position, as arrays, most probable first
  SELECT logsumexp.t,
         array_agg(top.token ORDER BY top.logit DESC, top.token) AS tokens,
         array_agg(top.logit - logsumexp.lse ORDER BY top.logit DESC, top.token) AS logprobs,
         array_agg(vocab.bytes ORDER BY top.logit DESC, top.token) AS bytes
  FROM logsumexp
  CROSS JOIN LATERAL (SELECT (i - 1)::int AS token, logit
                      FROM (SELECT unnest(logsumexp.logit) AS logit, generate_subscripts(logsumexp.logit, 1) AS i) AS token_logit
                      ORDER BY logit DESC, i
                      LIMIT {{top}}) AS top
  LEFT JOIN vocab USING (token)
  GROUP BY logsumexp.t
)
SELECT following.t, following.token, logsumexp.logit[following.token + 1] - logsumexp.lse AS logprob,
       coalesce(alternatives.tokens, '{}') AS top_tokens,
       coalesce(alternatives.logprobs, '{}') AS top_logprobs,
       coalesce(alternatives.bytes, '{}') AS top_bytes
FROM following
LEFT JOIN logsumexp ON logsumexp.t = following.t AND following.token IS NOT NULL
LEFT JOIN alternatives ON alternatives.t = following.t
ORDER BY following.t

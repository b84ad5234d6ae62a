-- step: the engine's statement for each new token. It runs every block over the new positions,
-- appends their keys and values to the session's cache (incremental engine only), and chooses
-- the next token from the logits of the last position. Fed the whole prompt it is the prefill;
-- fed one token, a step; without the cache it is the article's full recompute.
-- [T] -> [1]: the chosen token and its bytes
--
-- In psql: `gpt2sql sql complete` prints it (without the cache) inside complete.sql.
WITH RECURSIVE
{{transformer}},
{{save}},
logits AS (                     -- [1, C] -> [V]
  {{logits}}
),
{{probs}},
{{sample}}
SELECT chosen.token, vocab.bytes
FROM chosen
LEFT JOIN vocab USING (token)

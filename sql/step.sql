-- step: the engine's statement for each new token. It runs every block over the new positions
-- and chooses the next token from the logits of the last position; the incremental engine also
-- gets the new positions' keys and values back, which a statement of their own appends to the
-- session's cache (kv_save.sql). Fed the whole prompt it is the prefill; fed one token, a step;
-- without the cache it is the article's full recompute. It writes nothing: PostgreSQL gives a
-- statement that writes no parallel workers.
-- [T] -> [1]: the chosen token and its bytes (and, with the cache, the new keys and values)
--
-- In psql: `gpt2sql sql complete` prints it (without the cache) inside complete.sql.
WITH RECURSIVE
{{transformer}},
logits AS (                     -- [1, C] -> [V]
  {{logits}}
),
{{probs}},
{{sample}}
{{result}}

-- step: the engine's statement for each new token. It runs every block over the positions fed
-- and chooses each sequence's next token from the logits of its last position. Batched (the
-- incremental engine, src/engine/scheduler.ts), it advances several generations at once: each
-- has its own cache, places and sampling options, and every weight row is read once for all of
-- them; it also returns the new positions' keys and values, which a statement of their own
-- appends to the caches (kv_save.sql). The model's logits become the logits sampling reads
-- once each sequence's penalties are subtracted (penalties.sql). A generation fed its whole
-- prompt is being prefilled, fed one token it takes a step. Without the cache it is the article's full recompute of one
-- sequence. Batched, it appends the new keys and values to the caches itself (the CTE saved) when
-- no scan of it has parallel workers; with workers it writes nothing (PostgreSQL gives a
-- statement that writes none) and returns them, for kv_save.sql to append in a statement of its
-- own.
-- [T] -> [S]: each sequence's chosen token and its bytes (and, batched, the new keys and values)
--
-- In psql: `gpt2sql sql complete` prints it (without the cache) inside complete.sql.
WITH RECURSIVE
{{transformer}},
model_logits AS (               -- [T', C] -> [T', V]
  {{logits}}
),
choosing AS (                   -- [T']: how each sequence chooses
  {{choosing}}
),
{{penalties}},
{{probs}},
{{save}},
{{sample}}
{{result}}

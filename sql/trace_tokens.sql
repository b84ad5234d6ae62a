-- trace_tokens: what is traced: the model, the prompt, and its tokens, each with its own text
-- (detokenize.sql of that one token: U+FFFD where its bytes are part of a character).
-- Inputs: the token ids (int[]), the model's name, the prompt.
-- [T] -> [T]
--
-- In psql: part of what `gpt2sql trace` runs, after trace_tables.sql made the trace's schema.
WITH info AS (
  INSERT INTO {{trace}}.info (model, prompt, n_layer, n_head, n_embd, kernel)
  SELECT name, {{prompt}}, n_layer, n_head, n_embd, kernel
  FROM gpt2sql.models
  WHERE name = {{model}}
)
INSERT INTO {{trace}}.tokens (t, token, text)
SELECT input.t - 1, input.token, (
         {{detokenize}}
       )
FROM unnest({{ids}}) WITH ORDINALITY AS input(token, t)

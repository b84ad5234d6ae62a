-- trace_tokens: what is traced: the model, the prompt, and its tokens, each with its own text
-- (detokenize.sql of that one token: U+FFFD where its bytes are part of a character).
-- Inputs: $1 the token ids (int[]), $2 the model's name, $3 the prompt.
-- [T] -> [T]
WITH info AS (
  INSERT INTO {{trace}}.info (model, prompt, n_layer, n_head, n_embd, kernel)
  SELECT name, $3::text, n_layer, n_head, n_embd, kernel
  FROM gpt2sql.models
  WHERE name = $2::text
)
INSERT INTO {{trace}}.tokens (t, token, text)
SELECT input.t - 1, input.token, (
         {{detokenize}}
       )
FROM unnest($1::int[]) WITH ORDINALITY AS input(token, t)

-- view_tokens: the traced prompt's tokens, as the explorer's tokens panel shows them: each
-- position t with its token id, the token's own text (U+FFFD where it holds part of a character)
-- and the bytes it stands for, in hex (vocab.bytes).
-- Inputs: the trace's tokens; vocab of the model's schema.
-- [T] -> [T]: one row per token
--
-- In psql: what the explorer's "show the SQL" gives, with the trace's schema in place.
SELECT tokens.t, tokens.token, tokens.text, encode(vocab.bytes, 'hex') AS bytes
FROM {{trace}}.tokens
JOIN vocab USING (token)
ORDER BY tokens.t

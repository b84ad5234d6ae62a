-- score_text: score.sql fed by text, as `gpt2sql score` scores it. The text is tokenized and cut
-- into windows of at most n_ctx tokens, one starting every `stride` tokens until one reaches the
-- end of the text (Hugging Face's "Perplexity of fixed-length models"); each window is scored by
-- score.sql from its first place, in a LATERAL subquery that receives its token ids, and counts
-- only the tokens the window before it did not reach. Then every token of the text, with its text,
-- its logprob (NULL for the first token, and for the first token of a window that no window
-- before it reached: with stride = n_ctx, nothing comes before it) and the perplexity of the
-- text, exp(-mean logprob) over the tokens scored, on every row.
-- text -> [N]: (position, id, token, logprob, top_ids, top_logprobs, perplexity)
--
-- In psql: `gpt2sql sql score TEXT` prints it with its values, ready to run.
WITH text_ids AS (              -- text -> [N]
  SELECT array_agg(token ORDER BY position) AS ids
  FROM (
    {{tokenize}}
  ) AS tokens
),
windows AS (                    -- [start_place, end_place) and the first place counted
  SELECT k * {{stride}} AS start_place,
         least(k * {{stride}} + {{n_ctx}}, cardinality(text_ids.ids)) AS end_place,
         CASE WHEN k = 0 THEN 0 ELSE (k - 1) * {{stride}} + {{n_ctx}} END AS counted_from
  FROM text_ids
  CROSS JOIN generate_series(0, (greatest(cardinality(text_ids.ids) - {{n_ctx}}, 0) + {{stride}} - 1) / {{stride}}) AS k
),
scored AS (                     -- [N - 1]: each token after the first, scored by one window
  SELECT windows.start_place + window_score.t + 1 AS position, window_score.logprob,
         window_score.top_tokens, window_score.top_logprobs
  FROM text_ids
  CROSS JOIN windows
  CROSS JOIN LATERAL (
    {{score}}
  ) AS window_score
  WHERE window_score.token IS NOT NULL AND windows.start_place + window_score.t + 1 >= windows.counted_from
)
SELECT text_token.position - 1 AS position, text_token.id, (
         {{detokenize}}
       ) AS token, scored.logprob,
       coalesce(scored.top_tokens, '{}') AS top_ids, coalesce(scored.top_logprobs, '{}') AS top_logprobs,
       exp(-avg(scored.logprob) OVER ()) AS perplexity
FROM text_ids
CROSS JOIN unnest(text_ids.ids) WITH ORDINALITY AS text_token(id, position)
LEFT JOIN scored ON scored.position = text_token.position - 1
ORDER BY text_token.position

-- penalties: OpenAI's presence and frequency penalties, at each sequence's last position, as
-- src/reference/sample.ts specifies (rule 0): the logit of each token the sequence has generated
-- so far (the prompt's tokens do not count) less presence_penalty, then less frequency_penalty
-- times how many times it was generated. A sequence without penalties, or that has generated
-- nothing yet, keeps the model's logits as they are: its array is not rebuilt.
-- Inputs: model_logits (t, logit float8[V], max_logit); choosing (t, s, presence_penalty,
-- frequency_penalty); the tokens each sequence has generated, rows (s, token), one per time.
-- [T', V] -> [T', V]: (t, logit, max_logit)
--
-- In psql: after step.sql's CTE choosing, this, {{generated}} = SELECT 0 AS s, 464 AS token.
generated_count AS (            -- [S, <=n]: how many times each sequence generated each token
  SELECT generated.s, generated.token, count(*) AS count
  FROM ({{generated}}) AS generated
  GROUP BY generated.s, generated.token
),
logits AS (                     -- [T', V]: the logits sampling reads
  SELECT model_logits.t, coalesce(penalized.logit, model_logits.logit) AS logit,
         coalesce((SELECT max(v) FROM unnest(penalized.logit) AS v), model_logits.max_logit) AS max_logit
  FROM model_logits
  JOIN choosing USING (t)
  LEFT JOIN LATERAL (
    SELECT array_agg(CASE WHEN generated_count.count IS NULL THEN token_logit.logit
                          ELSE token_logit.logit - choosing.presence_penalty
                               - choosing.frequency_penalty * generated_count.count END
                     ORDER BY token_logit.i) AS logit
    FROM unnest(model_logits.logit) WITH ORDINALITY AS token_logit(logit, i)
    LEFT JOIN generated_count ON generated_count.s = choosing.s AND generated_count.token = token_logit.i - 1
    WHERE choosing.presence_penalty <> 0 OR choosing.frequency_penalty <> 0
    HAVING count(generated_count.token) > 0
  ) AS penalized ON true
)

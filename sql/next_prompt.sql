-- next_prompt: next.sql fed by text: the prompt is tokenized, next.sql runs in a LATERAL
-- subquery that receives its token ids, and each candidate's text is detokenized.
-- text -> [T] -> [top]
--
-- In psql: `gpt2sql sql next PROMPT` prints it with its values, ready to run.
WITH prompt AS (                -- text -> [T]
  SELECT array_agg(token ORDER BY position) AS ids
  FROM (
    {{tokenize}}
  ) AS tokens
)
SELECT candidate.token AS id, (
         {{detokenize}}
       ) AS token, candidate.logit, candidate.probability
FROM prompt
CROSS JOIN LATERAL (
  {{next}}
) AS candidate
ORDER BY candidate.logit DESC, candidate.token

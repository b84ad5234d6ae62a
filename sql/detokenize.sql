-- detokenize: GPT-2's decoder, token ids -> text (encoder.py decode(), errors='replace').
--
-- Input:  the token ids in order, int[] (each one in vocab).
-- Tables: vocab, in the model's schema (search_path).
-- Output: one row, text: the tokens' bytes joined and read as UTF-8.
-- Shape:  [T] -> text
--
-- Tokens split UTF-8 characters freely, so the joined bytes need not be valid UTF-8. As
-- Python's bytes.decode('utf-8', errors='replace') (and TextDecoder) do, each maximal part of
-- an ill-formed sequence becomes one U+FFFD (Unicode's "maximal subpart" rule):
-- 1. bytes: every byte with the length of the character it would start (0: none) and the range
--    its second byte must fall in (E0 needs A0..BF, ED 80..9F, F0 90..BF, F4 80..8F).
-- 2. characters: a byte continues the character before it when the bytes since that
--    character's first byte are all allowed; any other byte starts a new one.
-- 3. A character with all its bytes is decoded; anything else becomes U+FFFD. So is U+0000,
--    which PostgreSQL text cannot hold: the one place this differs from Python.
--
-- In psql, with a model's schema on the search_path: this, {{ids}} = ARRAY[15496, 11, 995].
WITH
joined AS (
  SELECT string_agg(vocab.bytes, ''::bytea ORDER BY ids.place) AS utf8
  FROM unnest({{ids}}) WITH ORDINALITY AS ids (token, place)
  JOIN vocab USING (token)
),
bytes AS (
  SELECT
    place, byte,
    CASE
      WHEN byte < 128 THEN 1
      WHEN byte BETWEEN 194 AND 223 THEN 2
      WHEN byte BETWEEN 224 AND 239 THEN 3
      WHEN byte BETWEEN 240 AND 244 THEN 4
      ELSE 0
    END AS length,
    CASE byte WHEN 224 THEN 160 WHEN 240 THEN 144 ELSE 128 END AS second_low,
    CASE byte WHEN 237 THEN 159 WHEN 244 THEN 143 ELSE 191 END AS second_high
  FROM joined
  CROSS JOIN generate_series(0, length(utf8) - 1) AS place
  CROSS JOIN get_byte(utf8, place) AS byte
),
continues AS (
  SELECT
    place, byte, length,
    coalesce(
      (LAG(length, 1) OVER by_place >= 2
        AND byte BETWEEN LAG(second_low, 1) OVER by_place AND LAG(second_high, 1) OVER by_place)
      OR (LAG(length, 2) OVER by_place >= 3
        AND LAG(byte, 1) OVER by_place BETWEEN LAG(second_low, 2) OVER by_place AND LAG(second_high, 2) OVER by_place
        AND byte BETWEEN 128 AND 191)
      OR (LAG(length, 3) OVER by_place = 4
        AND LAG(byte, 2) OVER by_place BETWEEN LAG(second_low, 3) OVER by_place AND LAG(second_high, 3) OVER by_place
        AND LAG(byte, 1) OVER by_place BETWEEN 128 AND 191
        AND byte BETWEEN 128 AND 191),
      FALSE
    ) AS continues_character
  FROM bytes
  WINDOW by_place AS (ORDER BY place)
),
characters AS (
  SELECT
    character_number,
    min(place) AS first_place,
    count(*) AS byte_count,
    (array_agg(length ORDER BY place))[1] AS length,
    (array_agg(byte ORDER BY place))[1] AS first_byte
  FROM (
    SELECT *, count(*) FILTER (WHERE NOT continues_character) OVER (ORDER BY place) AS character_number
    FROM continues
  ) AS numbered
  GROUP BY character_number
)
SELECT coalesce(string_agg(
  CASE
    WHEN byte_count = length AND first_byte <> 0
      THEN convert_from(substring(joined.utf8 FROM first_place + 1 FOR byte_count::int), 'UTF8')
    ELSE chr(65533) -- U+FFFD, the replacement character
  END,
  '' ORDER BY character_number
), '') AS text
FROM characters
CROSS JOIN joined

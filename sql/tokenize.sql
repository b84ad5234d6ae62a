-- tokenize: GPT-2's byte-level BPE encoder (OpenAI's encoder.py, tiktoken's "gpt2").
--
-- Input:  the text (valid UTF-8 without U+0000).
-- Tables: character_classes, byte_symbols, merges, vocab, in the model's schema (search_path).
-- Output: (position, token) for each token, position 0 .. T-1, ordered by position.
-- Shape:  text -> [T]
--
-- Steps 1 and 2 are pretokenize.sql, the CTE list this statement starts with.
-- 1. characters: each code point of the text with its category (letter \p{L}, number \p{N},
--    space \s, other) from character_classes, never from the database's locale.
-- 2. pieces: the text cut as GPT-2's pattern cuts it,
--      's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
--    Tried in order at each place, the pattern boils down to where pieces start:
--    - a run of one category (letters, numbers or others) is a piece;
--    - a contraction ('s 't 'm 'd 're 've 'll) is a piece where a piece can start;
--    - a space (U+0020) just before a letter, number or other starts that piece;
--    - whitespace before a non-space character leaves its last character to stand alone
--      (or, if that is the space, to start the next piece): \s+(?!\S) backs off by one.
-- 3. bpe: each distinct piece as the symbols of its UTF-8 bytes (byte_symbols); then, as
--    encoder.py's bpe(), merge every occurrence of the adjacent pair with the lowest rank,
--    left to right, until no adjacent pair is in merges.
-- 4. The token of each final symbol (vocab), in order.
--
-- In psql: `gpt2sql sql tokenize TEXT` prints it with the text, ready to run.
WITH RECURSIVE
{{pieces}},
bpe (piece_text, symbols, done) AS (
  SELECT
    piece_text,
    ARRAY(
      SELECT symbol
      FROM convert_to(piece_text, 'UTF8') AS utf8
      CROSS JOIN generate_series(0, length(utf8) - 1) AS byte_place
      JOIN byte_symbols ON byte = get_byte(utf8, byte_place)
      ORDER BY byte_place
    ),
    FALSE
  FROM (SELECT DISTINCT piece_text FROM pieces) AS distinct_pieces
  UNION ALL
  -- Each symbol written as ' symbol ' so that replace() sees whole symbols; like bpe(), it
  -- replaces left to right without overlaps.
  SELECT
    piece_text,
    CASE WHEN best.rank IS NULL THEN symbols ELSE string_to_array(trim(replace(
      ' ' || array_to_string(symbols, '  ') || ' ',
      ' ' || best.first || '  ' || best.second || ' ',
      ' ' || best.first || best.second || ' '
    )), '  ') END,
    best.rank IS NULL
  FROM bpe
  LEFT JOIN LATERAL (
    SELECT rank, first, second
    FROM unnest(symbols[:cardinality(symbols) - 1], symbols[2:]) AS pair (first, second)
    JOIN merges USING (first, second)
    ORDER BY rank
    LIMIT 1
  ) AS best ON TRUE
  WHERE NOT done
)
SELECT (row_number() OVER (ORDER BY piece, symbol_place) - 1)::int AS position, vocab.token
FROM pieces
JOIN bpe ON bpe.piece_text = pieces.piece_text AND bpe.done
CROSS JOIN LATERAL unnest(bpe.symbols) WITH ORDINALITY AS final (symbol, symbol_place)
JOIN vocab ON vocab.symbol = final.symbol
ORDER BY position

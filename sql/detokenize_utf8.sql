-- detokenize_utf8: detokenize.sql's text, sent back as its UTF-8 bytes: a client that decodes
-- text itself may drop a leading U+FEFF (PGlite's does), and decoding must keep every character.
-- [T] -> bytea
--
-- In psql: as detokenize.sql; convert_from(utf8, 'UTF8') is the text.
SELECT convert_to(detokenized.text, 'UTF8') AS utf8
FROM (
  {{detokenize}}
) AS detokenized

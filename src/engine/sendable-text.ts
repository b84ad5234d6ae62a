// Text PostgreSQL can take: checked before it is sent (by options.ts and the tokenizer), with no
// import, so the checks need not reach the tokenizer (and through it the database).

/**
 * Why text is refused before it is sent, or undefined. PostgreSQL text holds valid UTF-8
 * without U+0000, so a NUL or a lone UTF-16 surrogate cannot reach sql/tokenize.sql.
 */
export function unsendableText(text: string): string | undefined {
  if (text.includes('\0')) return 'the text contains U+0000 (NUL), which PostgreSQL text cannot hold; remove it and try again';
  if (/\p{Cs}/u.test(text)) return 'the text contains a lone UTF-16 surrogate, which is not valid Unicode; fix the input and try again';
  return undefined;
}

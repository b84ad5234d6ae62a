// Token bytes as text, the way sql/detokenize.sql reads them, for text that is shown as it is
// generated: with no import, so the HTTP API and the CLI can use it without the database.

const UTF8_OPTIONS = { ignoreBOM: true } as const;
/** For whole byte strings: a decode without { stream: true } keeps nothing between calls. */
const UTF8 = new TextDecoder('utf-8', UTF8_OPTIONS);

/**
 * Text PostgreSQL can hold: U+0000 as U+FFFD, as sql/detokenize.sql gives it, so a text shown
 * token by token is the text `decode` gives, and can be sent back as a prompt.
 */
const withoutNul = (text: string) => text.replaceAll('\0', '\uFFFD');

/**
 * The text of one token's bytes on their own: UTF-8, each ill-formed part one U+FFFD (a token
 * that holds part of a character shows U+FFFD), U+0000 as U+FFFD.
 *
 * @example
 * tokenText(Uint8Array.of(72, 105)); // 'Hi'
 * tokenText(Uint8Array.of(0));       // '\uFFFD'
 */
export function tokenText(bytes: Uint8Array): string {
  return withoutNul(UTF8.decode(bytes));
}

/**
 * A generation's text as its tokens come, the same text sql/detokenize.sql gives for all of them:
 * their bytes read as UTF-8 (a character split between tokens comes out with the token that
 * completes it; each ill-formed part as one U+FFFD, as TextDecoder and Python's decoder give it),
 * U+0000 as U+FFFD.
 *
 * @example
 * const text = new TokenText();
 * text.push(Uint8Array.of(0xf0, 0x9f)); // ''
 * text.push(Uint8Array.of(0xa4, 0x97)); // '🤗'
 * text.end();                           // '' (an unfinished character would be '\uFFFD')
 */
export class TokenText {
  private readonly utf8 = new TextDecoder('utf-8', UTF8_OPTIONS);

  /** The text one more token's bytes add. */
  push(bytes: Uint8Array): string {
    return withoutNul(this.utf8.decode(bytes, { stream: true }));
  }

  /** What is left when the tokens end: an unfinished character as U+FFFD. */
  end(): string {
    return withoutNul(this.utf8.decode());
  }
}

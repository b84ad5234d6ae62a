import { describe, expect, it } from 'vitest';
import { ChoiceText, type TextPiece } from '../../src/http/choice-text.ts';
import { legacyLogprobs, tokenString } from '../../src/http/legacy-logprobs.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Pushes tokens of these byte strings, then ends; returns every piece. */
function run(stops: string[], tokens: Uint8Array[]): { pieces: TextPiece[]; text: ChoiceText } {
  const text = new ChoiceText(stops);
  const pieces = tokens.map((bytes, id) => text.push({ id, bytes }));
  pieces.push(text.end());
  return { pieces, text };
}

const joined = (pieces: TextPiece[]) => pieces.map((piece) => piece.text).join('');

describe('the text of a choice', () => {
  it('holds back what may begin a stop string, and cuts before the stop string once it is whole', () => {
    const { pieces, text } = run(['\n\n'], [utf8('Hello'), utf8(' world\n'), utf8('\nnever')]);
    expect(pieces.map((piece) => piece.text)).toEqual(['Hello', '', ' world', '']);
    expect(text.stopped).toBe(true);
    expect(pieces[2].tokens.map((token) => [token.id, token.text, token.offset])).toEqual([[1, ' world', 5]]);
  });

  it('sends held text when it turns out not to be a stop string, and at the end', () => {
    expect(run(['ab'], [utf8('xa'), utf8('c')]).pieces.map((piece) => piece.text)).toEqual(['', 'xac', '']);
    expect(run(['ab'], [utf8('xa')]).pieces.map((piece) => piece.text)).toEqual(['', 'xa']);
  });

  it('finds a stop string across tokens, and the earliest of several', () => {
    const { pieces } = run(['END', 'x'], [utf8('aE'), utf8('N'), utf8('Dx')]);
    expect(joined(pieces)).toBe('a');
    expect(pieces.flatMap((piece) => piece.tokens.map((token) => token.text))).toEqual(['a']);
  });

  it('decodes a character split across tokens with the token that completes it, and an unfinished one as U+FFFD', () => {
    const hug = utf8('🤗');
    const { pieces } = run([], [hug.slice(0, 2), hug.slice(2), hug.slice(0, 1)]);
    expect(joined(pieces)).toBe('🤗\uFFFD');
    const tokens = pieces.flatMap((piece) => piece.tokens);
    expect(tokens.map((token) => [token.text, token.offset])).toEqual([['', 0], ['🤗', 0], ['', 1]]);
  });

  it('gives U+0000 as U+FFFD, as sql/detokenize.sql does (PostgreSQL text cannot hold it), one code point in the offsets', () => {
    const { pieces } = run([], [utf8('a'), Uint8Array.of(0), utf8('b')]);
    expect(joined(pieces)).toBe('a\uFFFDb');
    expect(pieces.flatMap((piece) => piece.tokens).map((token) => token.offset)).toEqual([0, 1, 2]);
  });

  it('counts text offsets in code points, from the echoed prompt on', () => {
    const text = new ChoiceText([]);
    expect(text.echo([{ id: 0, bytes: utf8('é🤗') }]).tokens[0].offset).toBe(0);
    expect(text.push({ id: 1, bytes: utf8('x') }).tokens[0].offset).toBe(2);
  });
});

describe('OpenAI\'s legacy logprobs', () => {
  it('shows a token that is not whole UTF-8 as bytes:\\xNN, and adds the chosen token to the alternatives', () => {
    expect(tokenString(new Uint8Array([0xf0, 0x9f]))).toBe('bytes:\\xf0\\x9f');
    const chosen = { id: 1, bytes: utf8(' b'), logprob: -2, top: [{ id: 0, bytes: utf8(' a'), logprob: -0.5 }], text: ' b', offset: 3 };
    expect(legacyLogprobs([chosen, { ...chosen, logprob: null, top: null }])).toEqual({
      tokens: [' b', ' b'], token_logprobs: [-2, null], top_logprobs: [{ ' a': -0.5, ' b': -2 }, null], text_offset: [3, 3],
    });
  });
});

import { getEncoding } from 'js-tiktoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { decode, decodeEach, encode } from '../../src/engine/tokenizer.ts';
import { TokenText, tokenText } from '../../src/engine/token-text.ts';
import { GptSqlError } from '../../src/errors.ts';
import { testDatabases, uniqueModelName } from '../helpers/databases.ts';
import { loadGpt2Tokenizer, tiktokenBytes } from '../helpers/tokenizer-schema.ts';
import { prng } from '../helpers/prng.ts';
import { tokenizerCorpus } from '../helpers/tokenizer-corpus.ts';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { cutTiktoken, SMALL_VOCAB } from '../helpers/small-vocab.ts';

/** The independent reference: OpenAI's tiktoken "gpt2" encoding, ported to JavaScript. */
const tiktoken = getEncoding('gpt2');
const reference = (text: string) => tiktoken.encode(text, [], []); // <|endoftext|> is ordinary text

const corpus = tokenizerCorpus();
const tokenBytes = tiktokenBytes();
const NUL_TOKEN = tokenBytes.findIndex((bytes) => bytes.length === 1 && bytes[0] === 0);

/** The first few strings where `actual` differs from `expected`, for a readable failure. */
function mismatches<T>(inputs: readonly T[], actual: readonly unknown[], expected: readonly unknown[]) {
  return inputs
    .map((input, i) => ({ input, actual: actual[i], expected: expected[i] }))
    .filter((row) => JSON.stringify(row.actual) !== JSON.stringify(row.expected))
    .slice(0, 5);
}

describe.each(testDatabases())('tokenizer on $driver', (target) => {
  let db: Database;
  const schema = uniqueModelName('tokenizer');
  const model = { schema_name: schema };

  beforeAll(async () => {
    db = await target.open();
    await loadGpt2Tokenizer(db, schema);
  });
  afterAll(async () => {
    await db.exec(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });

  it("stores each token's bytes as tiktoken's own gpt2 data has them", async () => {
    const rows = await db.query<{ token: number; bytes: Uint8Array }>('SELECT token, bytes FROM vocab WHERE token < $1 ORDER BY token', [tokenBytes.length]);
    expect(rows.length).toBe(tokenBytes.length);
    const differing = rows.filter((row) => Buffer.compare(Buffer.from(row.bytes), Buffer.from(tokenBytes[row.token])) !== 0);
    expect(differing.map((row) => row.token)).toEqual([]);
  });

  it('classifies every code point once, 0 to U+10FFFF', async () => {
    const [ranges] = await db.query<{ first: number; last: number; gaps: number }>(
      `SELECT min(first) AS first, max(last) AS last,
              count(*) FILTER (WHERE first <> coalesce(previous_last + 1, 0)) AS gaps
       FROM (SELECT first, last, LAG(last) OVER (ORDER BY first) AS previous_last FROM character_classes) AS r`,
    );
    expect(ranges).toEqual({ first: 0, last: 0x10ffff, gaps: 0 });
  });

  it(`encodes a corpus of ${corpus.length} strings exactly as tiktoken's gpt2`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    const ids: number[][] = [];
    for (const text of corpus) ids.push(await encode(db, model, text));
    expect(mismatches(corpus, ids, corpus.map(reference))).toEqual([]);
  });

  it('decodes every corpus string back to itself', async () => {
    const texts: string[] = [];
    for (const text of corpus) texts.push(await decode(db, model, reference(text)));
    expect(mismatches(corpus, texts, corpus)).toEqual([]);
  });

  it('replaces ill-formed UTF-8 with U+FFFD as TextDecoder does', async () => {
    const sequences = illFormedSequences(200);
    const texts: string[] = [];
    for (const ids of sequences) texts.push(await decode(db, model, ids));
    const expected = sequences.map((ids) => tiktoken.decode(ids));
    expect(expected.join('').split('\ufffd').length).toBeGreaterThan(500); // the sequences really are ill-formed
    expect(mismatches(sequences, texts, expected)).toEqual([]);
  });

  it('decodes a NUL byte as U+FFFD, since PostgreSQL text cannot hold U+0000', async () => {
    expect(await decode(db, model, [...reference('a'), NUL_TOKEN, ...reference('b')])).toBe('a\ufffdb');
  });

  it('streams, token by token, the text it decodes: split characters, ill-formed parts and U+0000 alike', async () => {
    // TokenText (TypeScript, shown as a generation runs) against sql/detokenize.sql (the database)
    const sequences = [...illFormedSequences(100), [...reference('a'), NUL_TOKEN, ...reference('b'), NUL_TOKEN], reference('hi 😀 wörld')];
    const streamed = sequences.map((ids) => {
      const text = new TokenText();
      return ids.map((id) => text.push(tokenBytes[id])).join('') + text.end();
    });
    const decoded: string[] = [];
    for (const ids of sequences) decoded.push(await decode(db, model, ids));
    expect(streamed.at(-2)).toBe('a\ufffdb\ufffd');
    expect(mismatches(sequences, streamed, decoded)).toEqual([]);
    expect(tokenText(tokenBytes[NUL_TOKEN])).toBe(await decode(db, model, [NUL_TOKEN]));
  });

  it('gives each token its bytes, split characters included', async () => {
    const ids = reference('hi 😀');
    const pieces = await decodeEach(db, model, ids);
    expect(pieces.map((p) => p.token)).toEqual(ids);
    expect(pieces.map((p) => p.bytes)).toEqual(ids.map((id) => tokenBytes[id]));
  });

  it('refuses text PostgreSQL cannot hold, and ids outside the vocabulary', async () => {
    await expect(encode(db, model, 'a\0b')).rejects.toThrow(GptSqlError);
    await expect(encode(db, model, 'a\0b')).rejects.toThrow(/U\+0000/);
    await expect(encode(db, model, 'lone \ud800 surrogate')).rejects.toThrow(/surrogate/);
    await expect(decode(db, model, [15496, 50257, 99999])).rejects.toThrow(/not a token id of this model: 50257, 99999; ids run from 0 to 50256/);
    await expect(decode(db, model, [1.5])).rejects.toThrow(GptSqlError);
    await expect(decodeEach(db, model, [-1])).rejects.toThrow(GptSqlError);
  });

  it('encodes the empty string to no tokens and decodes no tokens to the empty string', async () => {
    expect(await encode(db, model, '')).toEqual([]);
    expect(await decode(db, model, [])).toBe('');
    expect(await decodeEach(db, model, [])).toEqual([]);
  });
});

describe.each(testDatabases())('a cut vocabulary (make-checkpoint --vocab) on $driver', (target) => {
  let db: Database;
  const schema = uniqueModelName('tokenizer_cut');
  const model = { schema_name: schema };
  const cut = cutTiktoken(SMALL_VOCAB); // tiktoken's code on GPT-2's ranks below 1023

  beforeAll(async () => {
    db = await target.open();
    await loadGpt2Tokenizer(db, schema, await tinyCheckpoint({ preset: 'small' }));
  });
  afterAll(async () => {
    await db.exec(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });

  it(`encodes the corpus of ${corpus.length} strings exactly as tiktoken cut to the same merges, and decodes it back`, async () => {
    const ids: number[][] = [];
    for (const text of corpus) ids.push(await encode(db, model, text));
    const expected = corpus.map((text) => cut.encode(text, [], []));
    expect(mismatches(corpus, ids, expected)).toEqual([]);
    expect(ids.flat().every((id) => id < SMALL_VOCAB - 1)).toBe(true);
    expect(ids.flat().length, 'the cut vocabulary needs more tokens than the whole one').toBeGreaterThan(corpus.flatMap(reference).length);
    const texts: string[] = [];
    for (const tokens of ids) texts.push(await decode(db, model, tokens));
    expect(mismatches(corpus, texts, corpus)).toEqual([]);
  });

  it('keeps <|endoftext|> as its last token, and refuses the ids beyond it', async () => {
    expect(await db.query('SELECT token FROM vocab WHERE symbol = $1', ['<|endoftext|>'])).toEqual([{ token: SMALL_VOCAB - 1 }]);
    expect(await decode(db, model, [SMALL_VOCAB - 1])).toBe('<|endoftext|>');
    await expect(decode(db, model, [SMALL_VOCAB])).rejects.toThrow(new RegExp(`not a token id of this model: ${SMALL_VOCAB}; ids run from 0 to ${SMALL_VOCAB - 1}`));
  });
});

/**
 * Random token sequences whose bytes are mostly not valid UTF-8: single-byte tokens for lead
 * bytes with awkward second-byte ranges (E0, ED, F0, F4), continuation bytes, bytes that never
 * start a character (C0, C1, F5..FF), ASCII, and whole tokens.
 */
function illFormedSequences(count: number): number[][] {
  const random = prng(0xbad8);
  const byteToken = new Map<number, number>();
  tokenBytes.forEach((bytes, id) => bytes.length === 1 && byteToken.set(bytes[0], id));
  const interesting = [0xe0, 0xed, 0xf0, 0xf4, 0xc2, 0xdf, 0xe1, 0xef, 0xf1, 0xc0, 0xc1, 0xf5, 0xff, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0x41];
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  return Array.from({ length: count }, () => {
    const length = 1 + Math.floor(random() * 12);
    return Array.from({ length }, () => {
      const roll = random();
      if (roll < 0.6) return byteToken.get(pick(interesting))!;
      if (roll < 0.85) return byteToken.get(0x80 + Math.floor(random() * 64))!;
      return Math.floor(random() * tokenBytes.length);
    }).filter((id) => !tokenBytes[id].includes(0)); // U+0000 has a test of its own
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { OptionError } from '../../src/engine/options.ts';
import { scoreTokens, scoreWindows, type Scoring } from '../../src/engine/score.ts';
import { GptSqlError } from '../../src/errors.ts';
import { gpt2, type Vector } from '../../src/reference/gpt2.ts';
import type { Gpt2Weights } from '../../src/reference/weights.ts';
import { quoteIdent } from '../../src/sql/quote.ts';
import { testDatabases } from '../helpers/databases.ts';
import { expectClose } from '../helpers/numeric.ts';
import { SMALL_VOCAB } from '../helpers/small-vocab.ts';
import { CONFIGS, dropModel, loadTestModel, someIds, type LoadedModel } from './forward-models.ts';

/**
 * The logits' tolerances of test/engine/forward.test.ts, per kernel (see there why each is that
 * size). A logprob is a logit minus the position's logsumexp, which is a probability-weighted mean
 * of the logits plus the log of a sum of at least 1: its error is at most about twice the logits',
 * and measured it stays far within the logits' own bounds (24 tokens, these configs: array 1.8e-15,
 * cube 3.9e-14, vector 1.3e-7), so they serve unchanged. A bug moves a logprob by far more.
 */
const TOLERANCE = { array: 1e-12, cube: 1e-9, vector: 1e-5 } as Record<string, number>;

/** The reference's log-softmax of one position: logit - (max + ln(sum(exp(logit - max)))), summed in token order. */
function logSoftmax(logits: Vector): Vector {
  const max = logits.reduce((m, l) => Math.max(m, l), -Infinity);
  const lse = max + Math.log(logits.reduce((sum, l) => sum + Math.exp(l - max), 0));
  return logits.map((l) => l - lse);
}

/** What the reference expects of one window's position t: the token after it and the top tokens there. */
interface Expected {
  logprob: number | null;
  top: Array<{ id: number; logprob: number }>;
}

/** The reference's scores of the text `ids` read at once from place 0 (it must fit the context). */
function referenceScores(weights: Gpt2Weights, ids: number[], top: number): Expected[] {
  const logprobs = gpt2(weights, ids).map(logSoftmax); // [T, V]
  return ids.map((id, i) => {
    if (i === 0) return { logprob: null, top: [] };
    const at = logprobs[i - 1]; // the distribution the token was drawn from
    const ranked = top === 0 ? [] : Array.from(at, (logprob, token) => ({ id: token, logprob })).sort((a, b) => b.logprob - a.logprob || a.id - b.id);
    return { logprob: at[id], top: ranked.slice(0, top) };
  });
}

/**
 * The reference's logprobs of a long text, as Hugging Face's guide computes them, written out
 * here as its loop is: windows of n_ctx from begin_loc = 0, stride, …; target length end_loc -
 * prev_end_loc; the tokens before it masked (-100), the window's first token never a target.
 */
function referenceWindows(weights: Gpt2Weights, ids: number[], stride: number): Array<number | null> {
  const nCtx = weights.config.n_ctx;
  const logprobs: Array<number | null> = ids.map(() => null);
  let prevEnd = 0;
  for (let begin = 0; begin < ids.length; begin += stride) {
    const end = Math.min(begin + nCtx, ids.length);
    const targets = end - prevEnd;
    referenceScores(weights, ids.slice(begin, end), 0).forEach((scored, i) => {
      if (i >= end - begin - targets && scored.logprob !== null) logprobs[begin + i] = scored.logprob;
    });
    prevEnd = end;
    if (end === ids.length) break;
  }
  return logprobs;
}

const perplexityOf = (logprobs: Array<number | null>) => {
  const scored = logprobs.filter((l): l is number => l !== null);
  return Math.exp(-scored.reduce((s, l) => s + l, 0) / scored.length);
};

function expectScores(actual: Scoring, expected: Expected[], tolerance: number, what: string): void {
  expect(actual.tokens.map((t) => t.logprob === null), `${what}: which tokens have no logprob`).toEqual(expected.map((e) => e.logprob === null));
  expectClose(actual.tokens.map((t) => t.logprob ?? 0), expected.map((e) => e.logprob ?? 0), tolerance, `${what}: logprobs`);
  expect(actual.tokens.map((t) => t.top.map((a) => a.id)), `${what}: top ids`).toEqual(expected.map((e) => e.top.map((a) => a.id)));
  expectClose(actual.tokens.flatMap((t) => t.top.map((a) => a.logprob)), expected.flatMap((e) => e.top.map((a) => a.logprob)), tolerance, `${what}: top logprobs`);
}

describe('scoreWindows', () => {
  it('moves windows of n_ctx by the stride until one reaches the end, each counting what the last did not reach', () => {
    expect(scoreWindows(10, 16, 8)).toEqual([{ start: 0, end: 10, counted: 1 }]);
    expect(scoreWindows(40, 16, 8)).toEqual([
      { start: 0, end: 16, counted: 1 }, { start: 8, end: 24, counted: 16 }, { start: 16, end: 32, counted: 24 }, { start: 24, end: 40, counted: 32 },
    ]);
    expect(scoreWindows(40, 16, 16)).toEqual([{ start: 0, end: 16, counted: 1 }, { start: 16, end: 32, counted: 17 }, { start: 32, end: 40, counted: 33 }]);
    expect(scoreWindows(17, 16, 5)).toEqual([{ start: 0, end: 16, counted: 1 }, { start: 5, end: 17, counted: 16 }]);
  });
});

describe.each(testDatabases())('scoring on $driver', (target) => {
  let db: Database;
  let m: LoadedModel;
  /**
   * n_ctx 16: a text of 40 tokens needs windows. The small vocabulary: the subject is which window
   * scores which token; a scored position costs V logits, and these tests score some 150.
   */
  let short: LoadedModel;
  const loaded: LoadedModel[] = [];
  beforeAll(async () => {
    db = await target.open();
    m = await loadTestModel(db, CONFIGS['2 blocks, 2 heads, 32 wide']);
    short = await loadTestModel(db, { n_layer: 2, n_head: 2, n_embd: 16, n_ctx: 16, vocab_size: SMALL_VOCAB, seed: 23 });
    loaded.push(m, short);
  });
  afterAll(async () => {
    for (const { model } of loaded) await dropModel(db, model);
    await db.close();
  });

  /**
   * The fastest kernel available, and the others' arithmetic on a deeper model. (The forward pass
   * of every config is test/engine/forward.test.ts's; a scored position costs V logits, so the
   * suite scores few.)
   */
  const MODELS = [
    ['2 blocks, 2 heads, 32 wide', CONFIGS['2 blocks, 2 heads, 32 wide'], 'auto'] as const,
    ['3 blocks, 4 heads, 64 wide, array kernel', CONFIGS['3 blocks, 4 heads, 64 wide'], 'array'] as const,
    ['3 blocks, 4 heads, 64 wide, cube kernel', CONFIGS['3 blocks, 4 heads, 64 wide'], 'cube'] as const,
  ];

  it.each(MODELS)('gives every token the reference\'s logprob and top alternatives: %s', async (_, config, kernel) => {
    const model = config === CONFIGS['2 blocks, 2 heads, 32 wide'] ? m : await loadTestModel(db, config, kernel);
    if (model !== m) loaded.push(model);
    if (kernel !== 'auto') expect(model.model.kernel).toBe(kernel);
    const ids = someIds(12);
    const actual = await scoreTokens(db, model.model, ids, { top: 5 });
    const expected = referenceScores(model.weights, ids, 5);
    expectScores(actual, expected, TOLERANCE[model.model.kernel], model.model.kernel);
    expect(actual.tokens.map((t) => t.id)).toEqual(ids);
    expect(actual).toMatchObject({ scored: 11, windows: 1, stride: 64 });
    expectClose(actual.perplexity!, perplexityOf(expected.map((e) => e.logprob)), actual.perplexity! * TOLERANCE[model.model.kernel], 'perplexity');
  });

  it('gives each token and each alternative its bytes from the vocabulary', async () => {
    const ids = [464, 11, 995, 447]; // The, world; 447: the first two bytes of a three-byte UTF-8 character
    const scoring = await scoreTokens(db, m.model, ids, { top: 3 });
    const vocab = new Map((await db.query<{ token: number; bytes: Uint8Array }>(
      `SELECT token, bytes FROM ${quoteIdent(m.model.schema_name)}.vocab WHERE token = ANY($1::int[])`,
      [[...ids, ...scoring.tokens.flatMap((t) => t.top.map((a) => a.id))]])).map((row) => [row.token, Buffer.from(row.bytes)]));
    for (const token of scoring.tokens) {
      expect(Buffer.from(token.bytes)).toEqual(vocab.get(token.id));
      for (const alternative of token.top) expect(Buffer.from(alternative.bytes)).toEqual(vocab.get(alternative.id));
    }
    expect(scoring.tokens.map((t) => t.top.length)).toEqual([0, 3, 3, 3]);
  });

  it('without --top gives no alternatives; a top beyond the vocabulary gives every token', async () => {
    const ids = someIds(3);
    const plain = await scoreTokens(db, m.model, ids);
    expect(plain.tokens.map((t) => t.top)).toEqual([[], [], []]);
    const all = await scoreTokens(db, m.model, ids, { top: 60000 });
    expect(all.tokens[1].top).toHaveLength(m.model.vocab_size);
    expectClose(all.tokens[1].top.reduce((sum, a) => sum + Math.exp(a.logprob), 0), 1, 1e-12, 'the probabilities sum to 1');
    expectClose(all.tokens.map((t) => t.logprob ?? 0), plain.tokens.map((t) => t.logprob ?? 0), 0, 'the same logprobs with and without alternatives');
  });

  it('scores a text of one token: nothing to score, no perplexity', async () => {
    expect(await scoreTokens(db, m.model, [464])).toMatchObject({ tokens: [{ id: 464, logprob: null, top: [] }], perplexity: null, scored: 0, windows: 1 });
  });

  it.each([5, 8, 16])('reads a text longer than the context in windows, stride %i, as Hugging Face\'s guide does', async (stride) => {
    const LONG = 28;
    const ids = someIds(LONG);
    const tolerance = TOLERANCE[short.model.kernel];
    const actual = await scoreTokens(db, short.model, ids, { stride, top: 2 });
    const expected = referenceWindows(short.weights, ids, stride);
    expect(actual.tokens.map((t) => t.logprob === null)).toEqual(expected.map((e) => e === null));
    expectClose(actual.tokens.map((t) => t.logprob ?? 0), expected.map((e) => e ?? 0), tolerance, `logprobs, stride ${stride}`);
    expect(actual.windows).toBe(Math.ceil((LONG - 16) / stride) + 1);
    expect(actual.scored).toBe(stride === 16 ? LONG - actual.windows : LONG - 1); // stride = n_ctx: each window's first token has nothing before it
    expectClose(actual.perplexity!, perplexityOf(expected), actual.perplexity! * tolerance, `perplexity, stride ${stride}`);
    // A token's alternatives come from the window that scored it: the window starting at its place's stride.
    const at = 20;
    const window = scoreWindows(LONG, 16, stride).find((w) => at >= w.counted && at < w.end)!;
    const fromWindow = referenceScores(short.weights, ids.slice(window.start, window.end), 2)[at - window.start];
    expect(actual.tokens[at].top.map((a) => a.id)).toEqual(fromWindow.top.map((a) => a.id));
  });

  it('with the default stride, n_ctx / 2', async () => {
    const ids = someIds(30);
    const actual = await scoreTokens(db, short.model, ids);
    expect(actual).toMatchObject({ stride: 8, windows: 3, scored: 29 });
    expectClose(actual.tokens.map((t) => t.logprob ?? 0), referenceWindows(short.weights, ids, 8).map((e) => e ?? 0), TOLERANCE[short.model.kernel], 'logprobs');
  });

  it('gives the same scores with parallel workers as without', async () => {
    const ids = someIds(20);
    const without = await scoreTokens(db, short.model, ids, { workers: 0, top: 3 });
    const withWorkers = await scoreTokens(db, short.model, ids, { workers: 1, top: 3 });
    expect(withWorkers.tokens.map((t) => t.top.map((a) => a.id))).toEqual(without.tokens.map((t) => t.top.map((a) => a.id)));
    expectClose(withWorkers.tokens.map((t) => t.logprob ?? 0), without.tokens.map((t) => t.logprob ?? 0), TOLERANCE[short.model.kernel], 'logprobs');
  });

  it('refuses bad options by name, and bad texts, before any SQL', async () => {
    const ids = someIds(20);
    const refused = async (options: Parameters<typeof scoreTokens>[3], option: string, message: RegExp) => {
      const error = await scoreTokens(db, short.model, ids, options).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(OptionError);
      expect((error as OptionError).option).toBe(option);
      expect((error as Error).message).toMatch(message);
    };
    await refused({ stride: 0 }, 'stride', /^stride must be an integer from 1 to the model's context, n_ctx = 16, got 0$/);
    await refused({ stride: 17 }, 'stride', /n_ctx = 16, got 17$/);
    await refused({ stride: 2.5 }, 'stride', /got 2.5$/);
    await refused({ top: -1 }, 'top', /^top must be an integer >= 0 \(0 shows no alternatives\), got -1$/);
    await refused({ workers: -1 }, 'workers', /^workers must be an integer/);
    await expect(scoreTokens(db, short.model, [])).rejects.toThrow(GptSqlError);
    await expect(scoreTokens(db, short.model, [])).rejects.toThrow(/the prompt is empty/);
    await expect(scoreTokens(db, short.model, [...ids, 60000])).rejects.toThrow(/token id 60000 is not in model .*'s vocabulary/);
    await expect(scoreTokens(db, short.model, ids, { signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { runStatement } from '../../src/engine/run-statement.ts';
import { argmax, candidates, penalize, sample, uniform, type SamplingOptions } from '../../src/reference/sample.ts';
import { renderBound } from '../../src/sql/sql.ts';
import { DEFAULT_SAMPLING } from '../../src/sql/sampling-fields.ts';
import { choosingValues } from '../../src/sql/statements.ts';
import { sampleGivenStatement } from '../helpers/sample-given.ts';
import { testDatabases } from '../helpers/databases.ts';
import { expectClose } from '../helpers/numeric.ts';
import { prng } from '../helpers/prng.ts';

/**
 * sql/probs.sql and sql/sample.sql against src/reference/sample.ts, on logits given directly (no
 * model): the rules are the same, every sum runs in the same order, so the kept tokens must be
 * identical and their probabilities equal but for the last bit of exp() (C library against V8).
 */
const PROB_TOLERANCE = 1e-15;

const statement = renderBound(sampleGivenStatement());
/** As a step samples: at temperature alone only the tokens the draw can reach are ranked. */
const stepStatement = renderBound(sampleGivenStatement(false));

interface Sampled {
  token: number;
  kept_tokens: number[] | null;
  kept_probs: number[] | null;
}

async function sqlSample(db: Database, logits: ArrayLike<number>, options: SamplingOptions & { draw: number; generated?: number[] }, as = statement): Promise<Sampled> {
  const { draw, generated = [], ...sampling } = options;
  const [row] = await runStatement<Sampled>(db, 'public', as, {
    logits: Array.from(logits), ...choosingValues([{ sampling: { ...DEFAULT_SAMPLING, ...sampling }, draw: draw, generated }], logits.length),
  });
  return row;
}

/** Random logits: a spread like a language model's (a few likely tokens, a long tail). */
function randomLogits(seed: number, size: number): number[] {
  const random = prng(seed);
  return Array.from({ length: size }, () => 8 * random() ** 3 - 4);
}

const CASES: SamplingOptions[] = [
  { temperature: 1 },
  { temperature: 0.7, topK: 5 },
  { temperature: 1.3, topP: 0.9 },
  { temperature: 1, topK: 10, topP: 0.5 },
  { temperature: 2, topK: 1000 },
  { temperature: 0.5, topP: 1e-9 },
  { temperature: 1, minP: 0.05 },
  { temperature: 1.5, minP: 0.3 },
  { temperature: 0.8, topK: 20, topP: 0.9, minP: 0.1 },
  { temperature: 1, topP: 0.95, minP: 1 },
];

describe.each(testDatabases())('sampling on $driver', (target) => {
  let db: Database;
  beforeAll(async () => {
    db = await target.open();
  });
  afterAll(async () => {
    await db.close();
  });

  it.each(CASES)('keeps the same tokens as the reference and chooses the same one: %o', async (options) => {
    for (const [seed, draw] of [[0, 0], [42, 3], [-7, 11], [123456789, 1]]) {
      const logits = randomLogits(seed + draw, 200);
      const expected = candidates(logits, options);
      const actual = await sqlSample(db, logits, { ...options, seed, draw });
      expect(actual.kept_tokens, `kept tokens, seed ${seed} draw ${draw}`).toEqual(expected.map((c) => c.id));
      expectClose(actual.kept_probs!, expected.map((c) => c.prob), PROB_TOLERANCE, `kept probabilities, seed ${seed} draw ${draw}`);
      expect(actual.token, `chosen token, seed ${seed} draw ${draw}`).toBe(sample(logits, { ...options, seed, draw }));
    }
  });

  it.each(CASES)('as a step samples, chooses the reference\'s token, ranking a prefix of what it keeps: %o', async (options) => {
    for (const [seed, draw] of [[0, 0], [42, 3], [-7, 11], [123456789, 1]]) {
      const logits = randomLogits(seed + draw, 200);
      const expected = candidates(logits, options).map((c) => c.id);
      const actual = await sqlSample(db, logits, { ...options, seed, draw }, stepStatement);
      const token = sample(logits, { ...options, seed, draw });
      expect(actual.token, `chosen token, seed ${seed} draw ${draw}`).toBe(token);
      expect(actual.kept_tokens, `kept tokens, seed ${seed} draw ${draw}`).toEqual(expected.slice(0, actual.kept_tokens!.length));
      expect(actual.kept_tokens).toContain(token);
    }
  });

  it('at temperature alone, as a step samples, ranks only the tokens the draw can reach, and chooses as the whole ranking does', async () => {
    // Draws whose u is near 1 reach deep into the tail, where a bound too high would cut the pick off.
    const draws = Array.from({ length: 4000 }, (_, draw) => draw).filter((draw) => uniform(5, draw) > 0.97).slice(0, 12);
    expect(draws.length).toBe(12);
    let ranked = 0;
    let all = 0;
    for (const [i, draw] of [0, 1, 2, ...draws].entries()) {
      const logits = i % 2 ? randomLogits(draw, 2000) : Array.from(randomLogits(draw, 2000), (logit) => logit / 4); // peaked and flat
      const options = { temperature: 0.9, seed: 5, draw };
      const actual = await sqlSample(db, logits, options, stepStatement);
      expect(actual.token, `draw ${draw}, u = ${uniform(5, draw)}`).toBe(sample(logits, options));
      ranked += actual.kept_tokens!.length;
      all += logits.length;
    }
    expect(ranked / all, 'the share of the tokens ranked').toBeLessThan(0.9);
  });

  it('is greedy at temperature 0: the highest logit, ties to the lowest id, other options ignored', async () => {
    const logits = [0.5, 2, -1, 2, 1.5];
    for (const options of [{}, { topK: 3, topP: 0.1, seed: 9 }]) {
      const actual = await sqlSample(db, logits, { ...options, temperature: 0, draw: 4 });
      expect(actual).toEqual({ token: 1, kept_tokens: null, kept_probs: null });
    }
  });

  it('with top-k 1 chooses the greedy token whatever the seed', async () => {
    const logits = randomLogits(5, 300);
    for (const seed of [1, 2, 3]) {
      expect((await sqlSample(db, logits, { temperature: 1.5, topK: 1, seed, draw: 0 })).token).toBe(argmax(logits));
    }
  });

  it('with top-p keeps exactly the nucleus: each token whose running sum before it is < top_p', async () => {
    const logits = [4, 2, 1, 1].map(Math.log); // probabilities 0.5, 0.25, 0.125, 0.125
    const keptFor = async (topP: number) => (await sqlSample(db, logits, { temperature: 1, topP, draw: 0 })).kept_tokens;
    expect(await keptFor(0.4)).toEqual([0]); // 0 < 0.4, then 0.5 is not
    expect(await keptFor(0.7)).toEqual([0, 1]); // 0, 0.5 < 0.7, then 0.75 is not
    expect(await keptFor(0.8)).toEqual([0, 1, 2]); // ties (2 and 3) go to the lower id first
    expect(await keptFor(1)).toEqual([0, 1, 2, 3]);
  });

  it('ranks by logit, ties by id, where the probabilities are all 0 below the top (top-k keeps the highest logits)', async () => {
    const logits = [-3.7, -2.6, 23, 22.5, 22.9, -1, 23, 21];
    for (const temperature of [1e-6, 1e-3]) {
      const actual = await sqlSample(db, logits, { temperature, topK: 5, seed: 3, draw: 0 });
      expect(actual.kept_tokens, `kept at temperature ${temperature}`).toEqual([2, 6, 4, 3, 7]);
      expect(actual.kept_tokens).toEqual(candidates(logits, { temperature, topK: 5 }).map((c) => c.id));
      expect(actual.token).toBe(sample(logits, { temperature, topK: 5, seed: 3, draw: 0 }));
    }
  });

  it('gives 0 where a probability is too small for a float8, as IEEE arithmetic does, instead of an underflow error', async () => {
    // exp(-744.5) is the smallest double; divided by a sum of 3 it is below it.
    const logits = [0, 0, 0, -744.5, -1e6];
    for (const options of [{ temperature: 1 }, { temperature: 1, topP: 0.99 }, { temperature: 1e-6, topK: 4 }, { temperature: 100 }]) {
      const actual = await sqlSample(db, logits, { ...options, seed: 8, draw: 2 });
      const expected = candidates(logits, options);
      expect(actual.kept_tokens, JSON.stringify(options)).toEqual(expected.map((c) => c.id));
      expectClose(actual.kept_probs!, expected.map((c) => c.prob), PROB_TOLERANCE, `kept probabilities ${JSON.stringify(options)}`);
      expect(actual.token).toBe(sample(logits, { ...options, seed: 8, draw: 2 }));
    }
  });

  it.each([
    { presencePenalty: 1.5 },
    { frequencyPenalty: 0.7 },
    { presencePenalty: -0.4, frequencyPenalty: 2, temperature: 1.2, minP: 0.02 },
    { presencePenalty: 2, frequencyPenalty: 2, temperature: 0 },
  ])('subtracts the penalties of the tokens generated so far as the reference does: %o', async (options) => {
    for (const [seed, draw] of [[3, 0], [11, 4], [-2, 9]]) {
      const logits = randomLogits(seed + 100, 120);
      const top = [...logits.keys()].sort((a, b) => logits[b] - logits[a]); // the likeliest tokens, penalized most
      const generated = [top[0], top[1], top[0], top[5], top[0], 7];
      const expected = sample(logits, { ...options, seed, draw, generated });
      const actual = await sqlSample(db, logits, { ...options, seed, draw, generated });
      expect(actual.token, `chosen token, seed ${seed} draw ${draw}`).toBe(expected);
      if (options.temperature) { // sampled: the kept tokens too
        const kept = candidates(penalize(logits, generated, options), options);
        expect(actual.kept_tokens, `kept tokens, seed ${seed} draw ${draw}`).toEqual(kept.map((c) => c.id));
        expectClose(actual.kept_probs!, kept.map((c) => c.prob), PROB_TOLERANCE, `kept probabilities, seed ${seed} draw ${draw}`);
      }
    }
  });

  it('samples from extreme logits without exp() underflow errors', async () => {
    const logits = [1e4, -1e4, 0, -745.5, 3000];
    for (const temperature of [1, 0.01, 100]) {
      const actual = await sqlSample(db, logits, { temperature, seed: 1, draw: 0 });
      expect(actual.token).toBe(sample(logits, { temperature, seed: 1, draw: 0 }));
      expect(actual.kept_tokens).toEqual(candidates(logits, { temperature }).map((c) => c.id));
    }
  });
});

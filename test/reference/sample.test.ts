import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { argmax, candidates, sample, uniform } from '../../src/reference/sample.ts';
import { expectClose } from './expect-close.ts';

// softmax(log p) gives back p up to a few ulps.
const PROB_TOLERANCE = 1e-15;

/** Token i has probability P[i]: by probability the order is 1, 3, 0, 2. */
const P = [0.15, 0.5, 0.05, 0.3];
const logits = P.map(Math.log);

/** u as the header defines it, from node's md5 directly. */
function md5Uniform(seed: number, draw: number): number {
  const digest = createHash('md5').update(`${seed}:${draw}`).digest();
  return digest.readUInt32BE(0) / 4294967296;
}

describe('uniform', () => {
  it('is the first 32 bits of md5("seed:draw") over 2^32', () => {
    for (const seed of [0, 1, 42, -7, 123456789012]) {
      for (let draw = 0; draw < 20; draw++) expect(uniform(seed, draw)).toBe(md5Uniform(seed, draw));
    }
  });
  it('matches the value PostgreSQL computes for md5(\'42:0\')', () => {
    // ('x' || substr(md5('42:0'), 1, 8))::bit(32)::bigint / 4294967296.0::float8, run in PGlite 0.5.14
    expect(uniform(42, 0)).toBe(0.66052864654921);
  });
  it('stays in [0, 1)', () => {
    const values = Array.from({ length: 1000 }, (_, draw) => uniform(3, draw));
    expect(values.every((u) => u >= 0 && u < 1)).toBe(true);
  });
});

describe('greedy', () => {
  it('takes the highest logit, the lowest id on ties, at temperature 0', () => {
    expect(sample([1, 3, 3, 2], { draw: 0 })).toBe(1);
    expect(sample([1, 3, 3, 2], { temperature: 0, topK: 3, topP: 0.5, seed: 9, draw: 5 })).toBe(1);
    expect(argmax([-1, -1])).toBe(0);
  });
  it('equals topK = 1 at any temperature and seed', () => {
    for (const values of [logits, [1, 3, 3, 2], [0, 0, 0]]) {
      for (let seed = 0; seed < 20; seed++) {
        expect(sample(values, { temperature: 1.7, topK: 1, seed, draw: seed })).toBe(argmax(values));
      }
    }
  });
});

describe('candidates', () => {
  it('orders by probability, ties by lower id, and breaks top-k ties by lower id', () => {
    expect(candidates(logits, { temperature: 1 }).map((c) => c.id)).toEqual([1, 3, 0, 2]);
    expect(candidates([2, 1, 1, 1], { temperature: 1, topK: 2 }).map((c) => c.id)).toEqual([0, 1]);
    expect(candidates([1, 2, 2, 0], { temperature: 1, topK: 2 }).map((c) => c.id)).toEqual([1, 2]);
    expect(candidates([1, 2, 2, 0], { temperature: 1, topK: 1 })).toEqual([{ id: 1, prob: 1 }]);
    expect(candidates(logits, { temperature: 1, topK: 99 }).length).toBe(4);
  });
  it('keeps exactly the nucleus for top-p, renormalized', () => {
    const nucleus = (topP: number) => candidates(logits, { temperature: 1, topP });
    expect(nucleus(0.4)).toEqual([{ id: 1, prob: 1 }]);
    expect(nucleus(0.7).map((c) => c.id)).toEqual([1, 3]);
    expectClose(nucleus(0.7).map((c) => c.prob), [0.5 / 0.8, 0.3 / 0.8], PROB_TOLERANCE, 'top-p 0.7');
    expect(nucleus(0.9).map((c) => c.id)).toEqual([1, 3, 0]);
    expect(nucleus(1).map((c) => c.id)).toEqual([1, 3, 0, 2]);
  });
  it('stops the nucleus at the first token whose cumulative probability reaches top-p exactly', () => {
    // Four equal logits give probabilities of exactly 0.25: running sums 0.25, 0.5 (= topP), 0.75, 1.
    expect(candidates([0, 0, 0, 0], { temperature: 1, topP: 0.5 })).toEqual([{ id: 0, prob: 0.5 }, { id: 1, prob: 0.5 }]);
  });
  it('applies top-p to the probabilities top-k renormalized', () => {
    // After top-k 2: [0.625, 0.375]; 0.625 already reaches 0.6 (the unrenormalized 0.5 would not).
    expect(candidates(logits, { temperature: 1, topK: 2, topP: 0.6 })).toEqual([{ id: 1, prob: 1 }]);
  });
  it('divides the logits by the temperature', () => {
    const total = P.reduce((s, p) => s + Math.sqrt(p), 0);
    const kept = candidates(logits, { temperature: 2 });
    expectClose(kept.map((c) => c.prob), [1, 3, 0, 2].map((id) => Math.sqrt(P[id]) / total), PROB_TOLERANCE, 'temperature 2');
  });
  it('is stable for logits of ±1e4', () => {
    expectClose(candidates([1e4, -1e4, 1e4 - Math.log(3)], { temperature: 1 }).map((c) => c.prob), [0.75, 0.25, 0], 1e-12, 'extreme logits');
  });
});

describe('sample', () => {
  it('picks the first token whose cumulative probability exceeds u', () => {
    const order = [1, 3, 0, 2];
    for (let draw = 0; draw < 200; draw++) {
      const u = md5Uniform(7, draw);
      let cumulative = 0;
      const expected = order.find((id) => (cumulative += P[id]) > u);
      expect(sample(logits, { temperature: 1, seed: 7, draw })).toBe(expected);
    }
  });
  it('only samples the nucleus, and samples all of it', () => {
    const seen = new Set(Array.from({ length: 200 }, (_, draw) => sample(logits, { temperature: 1, topP: 0.7, seed: 1, draw })));
    expect([...seen].sort()).toEqual([1, 3]);
  });
  it('is reproducible for a seed and differs across seeds', () => {
    const run = (seed: number) => Array.from({ length: 30 }, (_, draw) => sample(logits, { temperature: 1, seed, draw }));
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
  it('rejects options out of range with what is allowed', () => {
    expect(() => sample(logits, { temperature: -1, draw: 0 })).toThrow(/temperature must be/);
    expect(() => sample(logits, { topK: 1.5, draw: 0 })).toThrow(/topK must be/);
    expect(() => sample(logits, { topP: 0, draw: 0 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => sample(logits, { seed: 0.5, draw: 0 })).toThrow(/seed must be/);
    expect(() => sample(logits, { draw: -1 })).toThrow(/draw must be/);
  });
});

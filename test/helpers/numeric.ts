/**
 * The one numeric comparison of the test suite (as llm.c's test_gpt2 does it): fails unless every
 * value is within the tolerance, and says the max difference and the first mismatch.
 */
import { expect } from 'vitest';

/**
 * Max absolute difference from the float64 reference of a traced forward pass, per kernel (the
 * trace runs the forward pass's own SQL; test/engine/forward.test.ts has the tighter logits bounds):
 * - array: float8 throughout from the checkpoint's float4 values, as the reference; only the
 *   order of additions and the C library's exp/tanh/sqrt against V8's differ (~1e-14 here).
 * - vector: pgvector rounds activations to float4 and sums in float4: ~1e-7 relative per dot
 *   product, ~1e-6 after the blocks on values of size ~1. Any real mistake is >= 1e-3.
 * - cube: float8, with a·w = (|a|² + |w|² − |a − w|²) / 2 losing ~|a|²·1e-16 per dot product.
 */
export const TRACE_TOLERANCE: Record<string, number> = { array: 1e-10, cube: 1e-9, vector: 1e-4 };

/**
 * Max absolute difference of the logits from the float64 reference, per kernel (the reasons, and
 * what was measured, in test/engine/forward.test.ts): float8 for array and cube, float4 products
 * for pgvector.
 */
export const LOGITS_TOLERANCE: Record<string, number> = { array: 1e-12, cube: 1e-9, vector: 1e-5 };

export type Nested = number | ArrayLike<number> | ArrayLike<Nested>;

function flatten(x: Nested, out: number[] = []): number[] {
  if (typeof x === 'number') out.push(x);
  else for (let i = 0; i < x.length; i++) flatten(x[i] as Nested, out);
  return out;
}

/** The largest |actual - expected| (Infinity for NaN), and the flat index of the first one above `tolerance` (-1: none). */
export function compareClose(actual: Nested, expected: Nested, tolerance: number): { maxDiff: number; first: number; a: number[]; e: number[] } {
  const a = flatten(actual), e = flatten(expected);
  let maxDiff = 0, first = -1;
  a.forEach((ai, i) => {
    const diff = Math.abs(ai - e[i]);
    if (!(diff <= tolerance) && first < 0) first = i;
    maxDiff = Math.max(maxDiff, Number.isNaN(diff) ? Infinity : diff);
  });
  return { maxDiff, first, a, e };
}

/**
 * Fails unless every |actual - expected| <= tolerance (and the shapes flatten to the same length).
 * Returns the max difference, so a test can print or log it.
 *
 * @example
 * expectClose(sqlLogits, referenceLogits, LOGITS_TOLERANCE, 'logits of the last position');
 */
export function expectClose(actual: Nested, expected: Nested, tolerance: number, what: string): number {
  const { maxDiff, first, a, e } = compareClose(actual, expected, tolerance);
  expect(a.length, `${what}: number of values`).toBe(e.length);
  const mismatch = first < 0 ? 'none' : `at flat index ${first}: ${a[first]} vs expected ${e[first]}`;
  expect(first, `${what}: max |diff| ${maxDiff} > tolerance ${tolerance}, first mismatch ${mismatch}`).toBe(-1);
  return maxDiff;
}

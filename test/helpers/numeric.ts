/**
 * The one numeric comparison of the test suite (as llm.c's test_gpt2 does it): fails unless every
 * value is within the tolerance, and says the max difference and the first mismatch.
 */
import { expect } from 'vitest';

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

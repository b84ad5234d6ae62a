/** The one numeric comparison of the reference tests: reports the max difference and the first mismatch. */
import { expect } from 'vitest';

type Nested = number | ArrayLike<number> | ArrayLike<Nested>;

function flatten(x: Nested, out: number[] = []): number[] {
  if (typeof x === 'number') out.push(x);
  else for (let i = 0; i < x.length; i++) flatten(x[i] as Nested, out);
  return out;
}

/** Fails unless every |actual - expected| <= tolerance (and the shapes flatten to the same length). */
export function expectClose(actual: Nested, expected: Nested, tolerance: number, what: string): void {
  const a = flatten(actual), e = flatten(expected);
  expect(a.length, `${what}: number of values`).toBe(e.length);
  let maxDiff = 0, first = -1;
  a.forEach((ai, i) => {
    const diff = Math.abs(ai - e[i]);
    if (!(diff <= tolerance) && first < 0) first = i;
    maxDiff = Math.max(maxDiff, Number.isNaN(diff) ? Infinity : diff);
  });
  const mismatch = first < 0 ? 'none' : `at flat index ${first}: ${a[first]} vs expected ${e[first]}`;
  expect(first, `${what}: max |diff| ${maxDiff} > tolerance ${tolerance}, first mismatch ${mismatch}`).toBe(-1);
}

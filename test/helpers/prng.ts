/**
 * The tests' seeded pseudo-random generator (mulberry32): numbers uniform in [0, 1), the same
 * stream for the same seed on every run.
 *
 * @example
 * const random = prng(7);
 * const x = Float64Array.from({ length: 16 }, () => 2 * random() - 1);
 */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

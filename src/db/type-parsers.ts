/**
 * Both drivers return the same JavaScript values: int8 and numeric as numbers (our counts and
 * sizes fit), float4[]/float8[] as number arrays. PGlite and pg agree on the rest.
 */
const INT8 = 20;
const NUMERIC = 1700;
const FLOAT4_ARRAY = 1021;
const FLOAT8_ARRAY = 1022;

function parseFloatArray(text: string): number[] {
  const inner = text.slice(1, -1);
  return inner === '' ? [] : inner.split(',').map(Number);
}

export const TYPE_PARSERS: Record<number, (text: string) => unknown> = {
  [INT8]: Number,
  [NUMERIC]: Number,
  [FLOAT4_ARRAY]: parseFloatArray,
  [FLOAT8_ARRAY]: parseFloatArray,
};

/**
 * Both drivers return the same JavaScript values: int8 and numeric as numbers (our counts and
 * sizes fit), float4[]/float8[] as number arrays (float4 values
 * exactly as stored). PGlite and pg agree on the rest.
 */
const INT8 = 20;
const NUMERIC = 1700;
const FLOAT4 = 700;
const FLOAT4_ARRAY = 1021;
const FLOAT8_ARRAY = 1022;

function parseFloat8Array(text: string): number[] {
  const inner = text.slice(1, -1);
  return inner === '' ? [] : inner.split(',').map(Number);
}

/** float4 prints the shortest text that reads back as the same float4: round to float32. */
function parseFloat4Array(text: string): number[] {
  return parseFloat8Array(text).map(Math.fround);
}

export const TYPE_PARSERS: Record<number, (text: string) => unknown> = {
  [INT8]: Number,
  [NUMERIC]: Number,
  [FLOAT4]: (text: string) => Math.fround(Number(text)),
  [FLOAT4_ARRAY]: parseFloat4Array,
  [FLOAT8_ARRAY]: parseFloat8Array,
};

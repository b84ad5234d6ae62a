/** The `vector` kernel: pgvector, float4 values, inner_product() in C. */
import { sql } from '../sql.ts';
import type { HeadArithmetic, Kernel } from './kernel.ts';

/**
 * pgvector's heads: q·k is inner_product(); att @ v is the sum of each value scaled by its weight,
 * vector * vector in float4. That product raises "value out of range: underflow" where it would
 * round to 0 (pgvector checks it; IEEE would not), so both factors are kept away from that:
 * weights below 1e-20 count as 0, and so do the values' components below 1e-20 in magnitude
 * (negligibleValue: c_attn's output holds them so, each made so as it is computed, and the cache
 * and attention take them as they are). Every product left is at least 1e-40, above float4's
 * smallest; what is dropped is below float4's precision next to a row's weights, which sum to 1.
 * The hot checkpoint's value at float4's smallest number tests it (test/engine/numerics.test.ts).
 */
const VECTOR_HEADS: HeadArithmetic = {
  name: 'vector',
  type: 'vector',
  prepare: (head) => sql`${head}::vector`,
  negligibleValue: (component) => sql`abs(${component}) < 1e-20`,
  dot: (a, b) => sql`inner_product(${a}, ${b})`,
  weightedSum: (weight, prepared, n, order) =>
    sql`sum(${prepared} * array_fill(CASE WHEN ${weight} < 1e-20 THEN 0 ELSE ${weight} END, ARRAY[${n}])::vector ORDER BY ${order})::real[]::float8[]`,
};

export const VECTOR = {
  name: 'vector',
  summary: 'pgvector',
  extension: 'vector',
  bytesPerValue: 4,
  // Products as lanes compute them (src/sql/lanes.ts: each row read once for 8 positions): mlp
  // c_fc of one 124M block for 32 positions, 3072 × 768 × 32 products, 36–38 ms (44–62 with other
  // work running). A bare scan for one position, reading included, is 1.3 ns a value.
  nanosecondsPerValue: 0.6,
  // pgvector multiplies in float4 and sums in float4: see the tolerances in test/engine.
  prepare: (activation) => sql`${activation}::vector`,
  preparedType: 'vector',
  dot: (row, prepared) => sql`inner_product(${row}.values, ${prepared})`,
  storedArray: (row) => sql`${row}.values::real[]`,
  heads: () => VECTOR_HEADS,
} as const satisfies Kernel;

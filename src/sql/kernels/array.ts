/** The `array` kernel: plain float4[] rows, summed in float8 by gpt2sql.dot (no extension). */
import { sql, type Code } from '../sql.ts';
import type { HeadArithmetic, Kernel, Operand } from './kernel.ts';

/** Two unnest() calls in the select list zip the arrays about twice as fast as unnest(a, b). */
function arrayDot(a: Operand, b: Operand): Code {
  return sql`(SELECT sum(x * y) FROM (SELECT unnest(${a}) AS x, unnest(${b}) AS y) AS pair)`;
}

/** Heads as float8[]; also the cube kernel's for heads longer than a cube holds. */
export const ARRAY_HEADS: HeadArithmetic = {
  name: 'array',
  type: 'float8[]',
  prepare: (head) => sql`${head}`,
  dot: arrayDot,
  // unnest() of a column slice [:][i:i] walks the places in order: the sum runs in place order.
  columnDot: (weights, values, column) => arrayDot(weights, sql`${values}[:][${column}:${column}]`),
};

export const ARRAY = {
  name: 'array',
  summary: 'plain float4[]',
  bytesPerValue: 4,
  nanosecondsPerValue: 90,
  // float4 * float8 is float8: the sum runs in float8, in index order, as the reference's does.
  prepare: (activation) => sql`${activation}`,
  preparedType: 'float8[]',
  // gpt2sql.dot (migration 0005): the sum above as a PARALLEL SAFE function, which workers run.
  dot: (row, prepared) => sql`gpt2sql.dot(${row}.values, ${prepared})`,
  storedArray: (row) => sql`${row}.values`,
  heads: () => ARRAY_HEADS,
  sharded: {
    // Four terms a line; the float8 sum runs left to right, in index order, as gpt2sql.dot's.
    dot: (row, position, n, part) => {
      const at = part === 0 ? '' : sql`${part} * ${n} + `;
      const terms = Array.from({ length: n }, (_, i) => sql`${row}.values[${i + 1}] * ${position}.x[${at}${i + 1}]`);
      const lines = Array.from({ length: Math.ceil(n / 4) }, (_, l) => terms.slice(4 * l, 4 * l + 4).reduce((a, b) => sql`${a} + ${b}`));
      return sql`(${lines.reduce((a, b) => sql`${a}
   + ${b}`)})`;
    },
    storedArray: (row) => sql`${row}.values`,
  },
} as const satisfies Kernel;

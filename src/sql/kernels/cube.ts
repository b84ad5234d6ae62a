/**
 * The `cube` kernel: contrib's cube, which stock PostgreSQL ships. A stored row is its squared
 * norm |w|² (float8) and a cube[] of points of at most 100 dimensions (CUBE_MAX_DIM) holding its
 * values in order. a·w = (|a|² + |w|² − Σ_c |a_c − w_c|²) / 2 over the chunks c, each |a_c − w_c|
 * one cube_distance() in C, all in float8.
 */
import { sql, type Code } from '../sql.ts';
import { ARRAY_HEADS } from './array.ts';
import type { HeadArithmetic, Kernel, Operand } from './kernel.ts';

/** Values per cube: cube's limit of 100 dimensions. */
export const CUBE_CHUNK = 100;

/** The chunk columns of a sharded cube row of `n` values: c1, c2, … */
export function cubeChunkColumns(n: number): string[] {
  return Array.from({ length: Math.ceil(n / CUBE_CHUNK) }, (_, c) => `c${c + 1}`);
}

/** |c|² of a cube point: its distance to the origin (a missing coordinate counts as 0), squared. */
const cubeNorm = (c: Operand) => sql`cube_distance(${c}, '(0)'::cube) ^ 2`;

/**
 * A float8[] as the cube kernel's prepared activation: a cube[] of its chunks of CUBE_CHUNK values,
 * then one more element, the 1-D point |x|², summed from the chunks' own |x_c|² (cube_distance to
 * the origin, squared: computed in C, where v * v in SQL would fail on a value below 1e-162).
 */
function cubeChunks(x: Operand): Code {
  return sql`(SELECT array_agg(chunk.c ORDER BY s) || cube(sum(${cubeNorm('chunk.c')}))
    FROM generate_series(1, cardinality(${x}), ${CUBE_CHUNK}) AS s
    CROSS JOIN LATERAL (SELECT cube(${x}[s : s + ${CUBE_CHUNK - 1}]) AS c) AS chunk)`;
}

/**
 * a·w for a prepared activation `a` (its chunks, then |a|²) and a stored row of `chunks` chunks:
 * (|a|² + |w|² − Σ_c cube_distance(a_c, w_c)²) / 2, one cube_distance() per chunk written out, in
 * chunk order.
 */
function cubeDot(row: string, a: Operand, chunks: number): Code {
  const distances = Array.from({ length: chunks }, (_, c) => sql`cube_distance(${a}[${c + 1}], ${row}.values[${c + 1}]) ^ 2`);
  const sum = distances.reduce((total, distance) => sql`${total}
    + ${distance}`);
  return sql`(cube_ll_coord(${a}[${chunks + 1}], 1) + ${row}.norm
  - (${sum})) / 2`;
}

/** A head's vectors as single cubes: a·b = (|a|² + |b|² − |a − b|²) / 2, three calls in C. */
const CUBE_HEADS: HeadArithmetic = {
  name: 'cube',
  type: 'cube',
  prepare: (head) => sql`cube(${head})`,
  dot: (a, b) => sql`(${cubeNorm(a)} + ${cubeNorm(b)} - cube_distance(${a}, ${b}) ^ 2) / 2`,
  // Σ_p w_p · v_p[i] over chunks of CUBE_CHUNK places: the weights' and the values' column's
  // chunks as cubes (cube() takes the slice [s:s+99][i:i] as its 100 values).
  columnDot: (weights, values, column) =>
    sql`(SELECT sum(${cubeNorm('chunk.w')} + ${cubeNorm('chunk.v')} - cube_distance(chunk.w, chunk.v) ^ 2) / 2
    FROM generate_series(1, cardinality(${weights}), ${CUBE_CHUNK}) AS s
    CROSS JOIN LATERAL (
      SELECT cube(${weights}[s : s + ${CUBE_CHUNK - 1}]) AS w, cube(${values}[s : s + ${CUBE_CHUNK - 1}][${column} : ${column}]) AS v
    ) AS chunk)`,
};

export const CUBE = {
  name: 'cube',
  summary: 'contrib cube',
  extension: 'cube',
  bytesPerValue: 8,
  nanosecondsPerValue: 11,
  prepare: (activation) => cubeChunks(activation),
  preparedType: 'cube[]',
  dot: (row, prepared, n) => cubeDot(row, prepared, Math.ceil(n / CUBE_CHUNK)),
  storedArray: (row) =>
    sql`(SELECT array_agg(cube_ll_coord(c.w, d)::float4 ORDER BY c.i, d)
        FROM unnest(${row}.values) WITH ORDINALITY AS c(w, i), generate_series(1, cube_dim(c.w)) AS d)`,
  heads: (headSize) => (headSize <= CUBE_CHUNK ? CUBE_HEADS : ARRAY_HEADS),
  sharded: {
    norms: (x, { count, size }) =>
      sql`ARRAY(SELECT (SELECT sum(${cubeNorm(sql`cube(${x}[p * ${size} + s : p * ${size} + least(s + ${CUBE_CHUNK - 1}, ${size})])`)})
                        FROM generate_series(1, ${size}, ${CUBE_CHUNK}) AS s)
              FROM generate_series(0, ${count - 1}) AS p ORDER BY p)`,
    dot: (row, position, n, part) => {
      const at = part === 0 ? '' : sql`${part} * ${n} + `;
      const distances = cubeChunkColumns(n).map((column, c) =>
        sql`cube_distance(cube(${position}.x[${at}${c * CUBE_CHUNK + 1} : ${at}${Math.min((c + 1) * CUBE_CHUNK, n)}]), ${row}.${column}) ^ 2`);
      const sum = distances.reduce((total, distance) => sql`${total}
    + ${distance}`);
      return sql`(${position}.norms[${part === 0 ? 1 : sql`${part} + 1`}] + ${row}.norm
  - (${sum})) / 2`;
    },
    storedArray: (row, n) =>
      sql`(SELECT array_agg(cube_ll_coord(c.w, d)::float4 ORDER BY c.i, d)
        FROM unnest(ARRAY[${cubeChunkColumns(n).map((column) => `${row}.${column}`).join(', ')}]) WITH ORDINALITY AS c(w, i),
             generate_series(1, cube_dim(c.w)) AS d)`,
  },
} as const satisfies Kernel;

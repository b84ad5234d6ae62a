import { cubeArrayField, cubeField, float4ArrayField, float8Field, vectorField, type Field } from '../db/copy-binary.ts';
import { GptSqlError } from '../errors.ts';
import { quoteIdent } from './quote.ts';
import { sql, type Code, type Fill } from './sql.ts';

/** What the kernels' SQL takes: a part of a statement, or code (a table alias, a column). */
type Operand = Fill | string;

/** A column of a stored weight row, after its key columns. */
export interface StoredColumn {
  name: string;
  type: string;
}

/**
 * A kernel is how a model stores the rows of its weight matrices and computes a dot product
 * between a stored row and an activation vector. It is chosen at load time and recorded in the
 * catalog; the SQL templates take their storage type and dot product from it.
 */
export interface Kernel {
  name: KernelName;
  /** The extension the kernel needs, if any. */
  extension?: string;
  /**
   * Columns of a stored row of `n` values (undefined: rows of different lengths): `values`, and
   * for cube its squared norm `norm` first.
   */
  columns(n?: number): StoredColumn[];
  /** Bytes a stored value takes (the loader keeps rows inline when they fit a page). */
  bytesPerValue: number;
  /**
   * What a scan's dot products cost per stored value and position, in nanoseconds, measured on a
   * native PostgreSQL server (the README's benchmark machine: a bare scan of 3072 rows of 768
   * values, reading included): what decides which scans are worth parallel workers (workers.ts).
   */
  nanosecondsPerValue: number;
  /** The type whose OID `fields` needs (binary COPY of an array names its element type). */
  elementType?: string;
  /** Binary COPY fields of a stored row, one per column; `elementOid` is the OID of `elementType`. */
  fields(values: Float32Array, elementOid?: number): Field[];
  /**
   * SQL turning an activation (a float8[] expression) into what `dot` takes, of type
   * `preparedType`. The templates compute it once per position and matrix, never once per stored
   * row, and hand the prepared activations of every position to the scan of the stored rows as
   * one array of position_activation (positionActivationTypeSql).
   */
  prepare(activation: Operand): Code;
  /** The SQL type `prepare` returns. */
  preparedType: string;
  /**
   * SQL for the dot product, as float8, of a stored row of `n` values (`row` is its table alias)
   * and a prepared activation. An expression, never a subquery: PostgreSQL computes it in the
   * parallel workers that scan the stored rows, and runs no part of a plan that holds a
   * correlated subquery there.
   */
  dot(row: string, prepared: Operand, n: number): Code;
  /** SQL reading a weight row's stored values as float4[] (the embedding lookup reads wte rows this way). */
  storedArray(row: string): Code;
  /** The arithmetic of attention's heads (q·k, att @ v) for heads of `headSize` values. */
  heads(headSize: number): HeadArithmetic;
  /** How a sharded model (`load --shards`) stores matrix rows on its shards; absent: the kernel cannot be sharded. */
  sharded?: ShardedRows;
}

/**
 * A sharded model's matrix rows on its shards, and the dot product each shard computes for them.
 * The coordinator sends a shard one statement per matrix and position, which the shard answers
 * with one sum per output column: postgres_fdw sends it only if every function and type in it
 * may be sent, built in or of an extension in the foreign server's `extensions` option (cube).
 * A cube[] is neither (an extension's array type is no member of the extension): a statement that
 * read a cube[] column or parameter would bring every row back to the coordinator instead. So the
 * shards store no cube[], and the activation travels as float8[]:
 * - cube: a row is its squared norm and one cube per chunk of CUBE_CHUNK values (c1, c2, …); the
 *   shard cuts the activation's chunks with cube(x[a:b]); the coordinator sends |x|² (`norms`);
 * - array: float4[] as here, and the dot product written out term by term, w[1] * x[1] + w[2] * x[2]
 *   + …: the float8 sum of gpt2sql.dot in the same order (that function is no extension's, so it
 *   cannot be sent).
 * The arithmetic is the kernel's own, value for value: a sharded model gives the same logits.
 */
export interface ShardedRows {
  /** The stored columns of a row (or part of a row) of `n` values. */
  columns(n: number): StoredColumn[];
  /** Binary COPY fields of a stored row, one per column. */
  fields(values: Float32Array): Field[];
  /**
   * SQL for what each position sends besides its activation x: float8[] `norms`, |x_p|² of each of
   * the `count` parts of `size` values (cube); undefined when the dot product needs none.
   */
  norms?(x: Operand, parts: { count: number; size: number }): Code;
  /**
   * SQL for the dot product, as float8, of the stored row `row` (a part of `n` values, whose
   * number is `part`: SQL, or 0 for whole rows) and the slice of `position`.x where that part's
   * values are, with `position`.norms.
   */
  dot(row: string, position: string, n: number, part: Operand): Code;
  /** SQL reading a stored row of `n` values as float4[] (the embedding lookup). */
  storedArray(row: string, n: number): Code;
}

/**
 * Attention's arithmetic on head-size vectors (64 values in every GPT-2): q·k between a query and
 * each key, and att @ v, the values summed with the attention weights.
 */
export interface HeadArithmetic {
  /** The name the generated SQL's comments give it. */
  name: string;
  /** The SQL type `prepare` returns (the keys/values cache stores heads in it). */
  type: string;
  /** SQL turning a head's query or key (float8[]) into what `dot` takes. */
  prepare(head: Operand): Code;
  /** SQL turning a head's value into what `weightedSum` takes, when that differs from `prepare`. */
  prepareValue?(head: Operand): Code;
  /** SQL for q·k of two prepared vectors, as float8. */
  dot(a: Operand, b: Operand): Code;
  /**
   * att @ v as an aggregate over rows of `weight` and the prepared value `prepared` of n values,
   * summed in `order`, as float8[]. The values are prepared with `prepare`.
   */
  weightedSum?(weight: Operand, prepared: Operand, n: number, order: Operand): Code;
  /**
   * att @ v one output value at a time: SQL for Σ_p weights[p] · values[p][column], with `weights`
   * the float8[] of attention weights in place order and `values` the float8[][] of the values.
   * The values are left as float8[].
   */
  columnDot?(weights: Operand, values: Operand, column: Operand): Code;
}

/** In order of preference for `--kernel auto`: the fastest first (see the README's benchmark). */
export const KERNEL_NAMES = ['vector', 'cube', 'array'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

/**
 * pgvector's heads: q·k is inner_product(); att @ v is the sum of each value scaled by its weight,
 * vector * vector in float4. That product raises "value out of range: underflow" where it would
 * round to 0 (pgvector checks it; IEEE would not), so both factors are kept away from that:
 * weights below 1e-20 count as 0, and so do the values' components below 1e-20 in magnitude
 * (the cache stores them so). Every product left is at least 1e-40, above float4's smallest;
 * what is dropped is below float4's precision next to a row's weights, which sum to 1.
 */
const VECTOR_HEADS: HeadArithmetic = {
  name: 'vector',
  type: 'vector',
  prepare: (head) => sql`${head}::vector`,
  prepareValue: (head) => sql`(SELECT array_agg(CASE WHEN abs(e.x) < 1e-20 THEN 0 ELSE e.x END) FROM (SELECT unnest(${head}) AS x) AS e)::vector`,
  dot: (a, b) => sql`inner_product(${a}, ${b})`,
  weightedSum: (weight, prepared, n, order) =>
    sql`sum(${prepared} * array_fill(CASE WHEN ${weight} < 1e-20 THEN 0 ELSE ${weight} END, ARRAY[${n}])::vector ORDER BY ${order})::real[]::float8[]`,
};

/** Two unnest() calls in the select list zip the arrays about twice as fast as unnest(a, b). */
function arrayDot(a: Operand, b: Operand): Code {
  return sql`(SELECT sum(x * y) FROM (SELECT unnest(${a}) AS x, unnest(${b}) AS y) AS pair)`;
}

const ARRAY_HEADS: HeadArithmetic = {
  name: 'array',
  type: 'float8[]',
  prepare: (head) => sql`${head}`,
  dot: arrayDot,
  // unnest() of a column slice [:][i:i] walks the places in order: the sum runs in place order.
  columnDot: (weights, values, column) => arrayDot(weights, sql`${values}[:][${column}:${column}]`),
};

const KERNELS: Record<KernelName, Kernel> = {
  vector: {
    name: 'vector',
    extension: 'vector',
    columns: (n) => [{ name: 'values', type: n ? `vector(${n})` : 'vector' }],
    bytesPerValue: 4,
    // Products as lanes compute them (src/sql/lanes.ts: each row read once for 8 positions): mlp
    // c_fc of one 124M block for 32 positions, 3072 × 768 × 32 products, 44–62 ms. A bare scan
    // for one position, reading included, is 1.3 ns a value.
    nanosecondsPerValue: 0.8,
    fields: (values) => [vectorField(values)],
    // pgvector multiplies in float4 and sums in float4: see the tolerances in test/engine.
    prepare: (activation) => sql`${activation}::vector`,
    preparedType: 'vector',
    dot: (row, prepared) => sql`inner_product(${row}.values, ${prepared})`,
    storedArray: (row) => sql`${row}.values::real[]`,
    heads: () => VECTOR_HEADS,
  },
  // contrib's cube, which stock PostgreSQL ships. A stored row is its squared norm |w|² (float8)
  // and a cube[] of points of at most 100 dimensions (CUBE_MAX_DIM) holding its values in order.
  // a·w = (|a|² + |w|² − Σ_c |a_c − w_c|²) / 2 over the chunks c, each |a_c − w_c| one
  // cube_distance() in C, all in float8.
  cube: {
    name: 'cube',
    extension: 'cube',
    columns: () => [{ name: 'norm', type: 'float8' }, { name: 'values', type: 'cube[]' }],
    bytesPerValue: 8,
    nanosecondsPerValue: 11,
    elementType: 'cube',
    fields: (values, elementOid) => [float8Field(squaredNorm(values)), cubeArrayField(values, CUBE_CHUNK, elementOid!)],
    prepare: (activation) => cubeChunks(activation),
    preparedType: 'cube[]',
    dot: (row, prepared, n) => cubeDot(row, prepared, Math.ceil(n / CUBE_CHUNK)),
    storedArray: (row) =>
      sql`(SELECT array_agg(cube_ll_coord(c.w, d)::float4 ORDER BY c.i, d)
        FROM unnest(${row}.values) WITH ORDINALITY AS c(w, i), generate_series(1, cube_dim(c.w)) AS d)`,
    heads: (headSize) => (headSize <= CUBE_CHUNK ? CUBE_HEADS : ARRAY_HEADS),
    sharded: {
      columns: (n) => [{ name: 'norm', type: 'float8' }, ...cubeChunkColumns(n).map((name) => ({ name, type: 'cube' }))],
      fields: (values) => [float8Field(squaredNorm(values)), ...cubeChunkColumns(values.length).map((_, c) => cubeField(values.subarray(c * CUBE_CHUNK, (c + 1) * CUBE_CHUNK)))],
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
  },
  array: {
    name: 'array',
    columns: () => [{ name: 'values', type: 'float4[]' }],
    bytesPerValue: 4,
    nanosecondsPerValue: 90,
    fields: (values) => [float4ArrayField(values)],
    // float4 * float8 is float8: the sum runs in float8, in index order, as the reference's does.
    prepare: (activation) => sql`${activation}`,
    preparedType: 'float8[]',
    // gpt2sql.dot (migration 0005): the sum above as a PARALLEL SAFE function, which workers run.
    dot: (row, prepared) => sql`gpt2sql.dot(${row}.values, ${prepared})`,
    storedArray: (row) => sql`${row}.values`,
    heads: () => ARRAY_HEADS,
    sharded: {
      columns: () => [{ name: 'values', type: 'float4[]' }],
      fields: (values) => [float4ArrayField(values)],
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
  },
};

/** Values per cube: cube's limit of 100 dimensions. */
const CUBE_CHUNK = 100;

/** The chunk columns of a sharded cube row of `n` values: c1, c2, … */
function cubeChunkColumns(n: number): string[] {
  return Array.from({ length: Math.ceil(n / CUBE_CHUNK) }, (_, c) => `c${c + 1}`);
}

/** |x|², summed in float64 in index order. */
function squaredNorm(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v * v;
  return sum;
}

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

/** |c|² of a cube point: its distance to the origin (a missing coordinate counts as 0), squared. */
const cubeNorm = (c: Operand) => sql`cube_distance(${c}, '(0)'::cube) ^ 2`;

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

/** How the keys/values cache stores a head's key or value: its SQL type, and the SQL that makes one from a float8[]. */
export interface CachedHead {
  type: string;
  prepare(head: Operand): Code;
}

/**
 * The columns k and v of a model's keys/values cache: each head's key and value as attention
 * uses them, so reading the cache converts nothing (measured on PGlite with pgvector at context
 * 512: 0.70 s a step with float8[] cast to vector, 0.64 s without). Keys are in the type of
 * the kernel's q·k; values in the type att @ v takes: the kernel's when it sums prepared values in
 * one aggregate, float8[] when it reads them one column at a time.
 *
 * @example
 * cachedHeads(kernel('vector'), 64); // k and v: vector
 * cachedHeads(kernel('cube'), 64); // k: cube, v: float8[]
 */
export function cachedHeads(kernel: Kernel, headSize: number): { k: CachedHead; v: CachedHead } {
  const heads = kernel.heads(headSize);
  const k = { type: heads.type, prepare: heads.prepare };
  if (!heads.weightedSum) return { k, v: { type: 'float8[]', prepare: (head: Operand) => sql`${head}` } };
  return { k, v: { type: heads.type, prepare: heads.prepareValue ?? heads.prepare } };
}

/**
 * Stored rows of up to this many bytes are kept inline in the table's pages (STORAGE PLAIN)
 * rather than TOASTed: a dot product then reads the row where it is, instead of fetching it from
 * the TOAST table (measured on PGlite: the wte scan 1.2 s -> 0.46 s for GPT-2 124M; on the server
 * with cube, mlp_c_proj_w's rows of 3072 values took 1.7× the time of mlp_c_fc_w's as many values).
 */
export const INLINE_BYTES = 7600;

/**
 * How a weight matrix's stored rows of `n` values are split so that each part fits inline in a
 * page: `count` parts of `size` values (the last may be shorter). A dot product with the row is
 * the sum of the parts' dot products.
 *
 * @example
 * rowParts(kernel('cube'), 3072); // { count: 4, size: 768 }: 8 bytes a value
 * rowParts(kernel('vector'), 768); // { count: 1, size: 768 }
 */
export function rowParts(kernel: Kernel, n: number): { count: number; size: number } {
  const count = Math.ceil((n * kernel.bytesPerValue) / INLINE_BYTES);
  return { count, size: Math.ceil(n / count) };
}

/** How `kernel` stores rows on shards; refused for a kernel that cannot be sharded. */
export function shardedRows(kernel: Kernel): ShardedRows {
  if (!kernel.sharded) {
    const can = KERNEL_NAMES.filter((name) => KERNELS[name].sharded);
    throw new GptSqlError(`the kernel "${kernel.name}" cannot be sharded; use --kernel ${can.join(' or --kernel ')} with --shards`);
  }
  return kernel.sharded;
}

/** The kernel named `name`. */
export function kernel(name: string): Kernel {
  const found = KERNELS[name as KernelName];
  if (!found) throw new GptSqlError(`unknown kernel "${name}"; choose one of: auto, ${KERNEL_NAMES.join(', ')}`);
  return found;
}

/**
 * Resolves `--kernel` against what the database offers: `auto` picks the fastest available
 * (pgvector, else cube, else plain arrays); a named kernel whose extension is missing is refused with a
 * message naming the kernels that would work.
 */
export function chooseKernel(requested: string, available: Set<string>): Kernel {
  const usable = KERNEL_NAMES.filter((name) => !KERNELS[name].extension || available.has(KERNELS[name].extension!));
  if (requested === 'auto') return KERNELS[usable[0]];
  const wanted = kernel(requested);
  if (wanted.extension && !available.has(wanted.extension)) {
    throw new GptSqlError(
      `the kernel "${wanted.name}" needs the PostgreSQL extension "${wanted.extension}", which this database ` +
        `does not have; use --kernel ${usable.join(' or --kernel ')} (or --kernel auto)`,
    );
  }
  return wanted;
}

/**
 * CREATE TYPE for the prepared activation of one position (and part of a stored row, 0 when rows
 * are whole) in a model's schema: linear.sql, linear_parts.sql and logits.sql pass every
 * position's as one array of these, computed once before the scan of the stored rows. An
 * uncorrelated value is what PostgreSQL hands to parallel workers; unnest() then gives each
 * position's activation without walking the others (an element of a 2-D array of cubes is found
 * by walking every element before it).
 */
export function positionActivationTypeSql(schema: string, kernel: Kernel): string {
  return `CREATE TYPE ${quoteIdent(schema)}.position_activation AS (t integer, part integer, x ${kernel.preparedType})`;
}

import { GPT2_PARAMETERS, LM_HEAD, type Gpt2Parameter, type Gpt2ParameterName } from '../checkpoint/gpt2-tensors.ts';
import type { Gpt2Config } from '../checkpoint/types.ts';

/**
 * How a checkpoint tensor becomes a table, one row per vector:
 * - `rows`: each row of the tensor is stored as is (wte [V, C] -> V rows of C values);
 * - `columns`: each column of a Conv1D weight [in, out] is stored as a row (out rows of `in`
 *   values), so that x @ w is one dot product per stored row; a row too long to fit in a page
 *   is stored in parts (rows `part` 0, 1, … of the same `col`);
 * - `vector`: the whole tensor is one stored vector (biases, layer-norm gains).
 */
export type Layout = 'rows' | 'columns' | 'vector';

export interface WeightTable {
  /** Table name, after GPT-2's parameter: wte, ln_1_g, c_attn_w, mlp_c_fc_b, … */
  table: string;
  /** The key column that numbers stored rows (`token`, `place`, `col`), if any. */
  key?: 'token' | 'place' | 'col';
  /** Present on per-block tables: rows carry a `block` column. */
  perBlock: boolean;
  layout: Layout;
  /** Matrix rows use the kernel's storage (they take part in dot products); the rest float4[]. */
  kernelStorage: boolean;
  /** The checkpoint tensor for block `i` (or the only one). */
  tensor(block: number): string;
}

/** How a parameter is stored: its layout, the key column numbering its rows, and whether dot products read it. */
type Storage = Pick<WeightTable, 'key' | 'layout' | 'kernelStorage'>;

const VECTOR: Storage = { layout: 'vector', kernelStorage: false };
const COLUMNS: Storage = { key: 'col', layout: 'columns', kernelStorage: true };
const TOKEN_ROWS: Storage = { key: 'token', layout: 'rows', kernelStorage: true };

/** The parameters not stored as one vector (biases and layer-norm gains are). */
const STORAGE: Partial<Record<Gpt2ParameterName, Storage>> = {
  wte: TOKEN_ROWS,
  wpe: { key: 'place', layout: 'rows', kernelStorage: false },
  c_attn_w: COLUMNS,
  c_proj_w: COLUMNS,
  mlp_c_fc_w: COLUMNS,
  mlp_c_proj_w: COLUMNS,
  lm_head: TOKEN_ROWS,
};

const weightTable = ({ name, perBlock, tensor }: Gpt2Parameter<Gpt2ParameterName>): WeightTable =>
  ({ table: name, perBlock, tensor, ...(STORAGE[name] ?? VECTOR) });

/** Every weight table of a GPT-2 model, in load order: one per parameter, named after it. */
export function weightTables(tiedLmHead: boolean): WeightTable[] {
  return [...GPT2_PARAMETERS, ...(tiedLmHead ? [] : [LM_HEAD])].map(weightTable);
}

/** The tensors behind a table, one per block for per-block tables. */
export function tableTensors(table: WeightTable, config: Gpt2Config): string[] {
  if (!table.perBlock) return [table.tensor(0)];
  return Array.from({ length: config.n_layer }, (_, i) => table.tensor(i));
}

/**
 * The key columns of a table: `block` on per-block tables, then the row's key, and for matrix
 * columns the `part` of the row (see rowParts in src/sql/kernels/index.ts).
 */
export function keyColumns(table: WeightTable): string[] {
  return [...(table.perBlock ? ['block'] : []), ...(table.key ? [table.key] : []), ...(table.layout === 'columns' ? ['part'] : [])];
}

/**
 * The key columns of a sharded matrix on its shards: keyColumns, and `part` for every one, wte's
 * too. Each key has one more row there than its parts, part = the number of parts, whose stored
 * columns are NULL: sums skip it, and its only use is what the planner sees, two rows or more for
 * every output column, so that sending a shard's sums (one row a column) costs less than sending
 * its rows (see src/load/shard-load.ts).
 */
export function shardedKeyColumns(table: WeightTable): string[] {
  const keys = keyColumns(table);
  return keys.includes('part') ? keys : [...keys, 'part'];
}

/**
 * The stored rows of a tensor with shape [rows, cols] (or [n]): yields each stored vector with
 * its key (row index, column index, or undefined for `vector`).
 */
export function* storedVectors(layout: Layout, data: Float32Array, shape: number[]): Generator<[number | undefined, Float32Array]> {
  if (layout === 'vector') {
    yield [undefined, data];
    return;
  }
  const [rows, cols] = shape;
  if (layout === 'rows') {
    for (let r = 0; r < rows; r++) yield [r, data.subarray(r * cols, (r + 1) * cols)];
    return;
  }
  const column = new Float32Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) column[r] = data[r * cols + c];
    yield [c, column];
  }
}

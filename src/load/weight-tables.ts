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

const blockTable = (table: string, suffix: string, layout: Layout): WeightTable => ({
  table,
  key: layout === 'columns' ? 'col' : undefined,
  perBlock: true,
  layout,
  kernelStorage: layout === 'columns',
  tensor: (i) => `h.${i}.${suffix}`,
});

/** Every weight table of a GPT-2 model, in load order. */
export function weightTables(tiedLmHead: boolean): WeightTable[] {
  const tables: WeightTable[] = [
    { table: 'wte', key: 'token', perBlock: false, layout: 'rows', kernelStorage: true, tensor: () => 'wte.weight' },
    { table: 'wpe', key: 'place', perBlock: false, layout: 'rows', kernelStorage: false, tensor: () => 'wpe.weight' },
    blockTable('ln_1_g', 'ln_1.weight', 'vector'),
    blockTable('ln_1_b', 'ln_1.bias', 'vector'),
    blockTable('c_attn_w', 'attn.c_attn.weight', 'columns'),
    blockTable('c_attn_b', 'attn.c_attn.bias', 'vector'),
    blockTable('c_proj_w', 'attn.c_proj.weight', 'columns'),
    blockTable('c_proj_b', 'attn.c_proj.bias', 'vector'),
    blockTable('ln_2_g', 'ln_2.weight', 'vector'),
    blockTable('ln_2_b', 'ln_2.bias', 'vector'),
    blockTable('mlp_c_fc_w', 'mlp.c_fc.weight', 'columns'),
    blockTable('mlp_c_fc_b', 'mlp.c_fc.bias', 'vector'),
    blockTable('mlp_c_proj_w', 'mlp.c_proj.weight', 'columns'),
    blockTable('mlp_c_proj_b', 'mlp.c_proj.bias', 'vector'),
    { table: 'ln_f_g', perBlock: false, layout: 'vector', kernelStorage: false, tensor: () => 'ln_f.weight' },
    { table: 'ln_f_b', perBlock: false, layout: 'vector', kernelStorage: false, tensor: () => 'ln_f.bias' },
  ];
  if (!tiedLmHead) {
    tables.push({ table: 'lm_head', key: 'token', perBlock: false, layout: 'rows', kernelStorage: true, tensor: () => 'lm_head.weight' });
  }
  return tables;
}

/** The tensors behind a table, one per block for per-block tables. */
export function tableTensors(table: WeightTable, config: Gpt2Config): string[] {
  if (!table.perBlock) return [table.tensor(0)];
  return Array.from({ length: config.n_layer }, (_, i) => table.tensor(i));
}

/**
 * The key columns of a table: `block` on per-block tables, then the row's key, and for matrix
 * columns the `part` of the row (see rowParts in src/sql/kernels.ts).
 */
export function keyColumns(table: WeightTable): string[] {
  return [...(table.perBlock ? ['block'] : []), ...(table.key ? [table.key] : []), ...(table.layout === 'columns' ? ['part'] : [])];
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

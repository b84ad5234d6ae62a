/**
 * How the forward pass reads a model's weight matrices, the one place that asks whether a model is
 * sharded: from its own tables, each stored row's dot products with every position's activation
 * (linear.sql, linear_parts.sql, logits.sql); or on a sharded model (`load --shards`,
 * docs/scaling.md), for each position a subquery that every shard answers alone with its rows'
 * dot products summed per output column (linear_sharded.sql, logits_sharded.sql), with the
 * kernel's arithmetic for shards (ShardedRows, kernels/kernel.ts).
 */
import { kernel as kernelNamed, rowParts, shardedRows } from './kernels/index.ts';
import { laneFills, type Lanes, type LaneScan } from './lanes.ts';
import type { ModelShape } from './model-shape.ts';
import { sql, template, type Fill, type Sql } from './sql.ts';

/** How the forward pass reads a model's weight matrices: localReads or shardedReads. */
export interface MatrixReads {
  /**
   * x @ w + b of `layer` (c_attn, c_proj, mlp_c_fc, mlp_c_proj) in `block`, over the rows of
   * `input` of `nIn` values. `lanes`: how many positions each stored row meets at once (lanes.ts).
   * `output`: what each output value becomes, by column, if not itself (local models only: no
   * kernel that shards maps its outputs).
   */
  linear(input: string, nIn: number, layer: string, block: Fill, lanes: Lanes, output?: LaneScan['output']): Sql;
  /** embed.sql: the tokens' wte rows plus their places' wpe rows. */
  embed(): Sql;
  /** The logits of the rows of lnf, one float8[V] per position. */
  logits(lanes: Lanes): Sql;
}

/** How `model`'s matrices are read: decided here, once. */
export function matrixReads(model: ModelShape): MatrixReads {
  return model.shards > 0 ? shardedReads(model) : localReads(model);
}

/**
 * The matrices of `model` in its own tables: linear.sql, or linear_parts.sql for rows stored in
 * parts (each part against its slice of the activation); logits.sql, one dot product per token of
 * lm_head.
 */
function localReads(model: ModelShape): MatrixReads {
  const kernel = kernelNamed(model.kernel);
  return {
    linear: (input, nIn, layer, block, lanes, output) => {
      const parts = rowParts(kernel, nIn);
      const common = { input: sql`${input}`, weight: sql`${layer}_w`, bias: sql`${layer}_b`, block };
      const bias = (column: string) => sql`(SELECT b FROM bias)[${column} + 1]`;
      if (parts.count === 1) {
        return template(lanes.shared ? 'linear_shared' : 'linear', {
          ...common,
          prepare: kernel.prepare('input.x'),
          ...laneFills({ lanes, key: 'w.col', parts: 1, product: (x) => sql`${kernel.dot('w', x, nIn)}\n+ ${bias('w.col')}`, output }),
        });
      }
      return template(lanes.shared ? 'linear_parts_shared' : 'linear_parts', {
        ...common,
        parts: parts.count,
        // In parentheses: x[a:b][c:d] would be one slice of two dimensions, not a slice of a slice.
        prepare: kernel.prepare(sql`(input.x[part * ${parts.size} + 1 : (part + 1) * ${parts.size}])`),
        ...laneFills({ lanes, key: 'w.col', parts: parts.count, product: (x) => kernel.dot('w', x, parts.size), addend: bias, output }),
      });
    },
    embed: () => template('embed', { wte: sql`wte`, wte_values: kernel.storedArray('wte') }),
    logits: (lanes) => template(lanes.shared ? 'logits_shared' : 'logits', {
      prepare: kernel.prepare('lnf.x'),
      ...laneFills({ lanes, key: 'lm_head.token', parts: 1, ordered: 'by_token', maximum: true, product: (x) => kernel.dot('lm_head', x, model.n_embd) }),
    }),
  };
}

/** The matrices of `model`, summed on its shards. */
function shardedReads(model: ModelShape): MatrixReads {
  const kernel = kernelNamed(model.kernel);
  const rows = shardedRows(kernel);
  return {
    linear: (input, nIn, layer, block, _lanes, output) => {
      if (output) throw new Error(`the kernel ${kernel.name} maps a linear's outputs, which linear_sharded.sql cannot`);
      const parts = rowParts(kernel, nIn);
      return template('linear_sharded', {
        input: sql`${input}`, weight: sql`${layer}_w`, bias: sql`${layer}_b`, block,
        norms: rows.norms?.('input.x', parts) ?? sql`NULL::float8[]`,
        dot: rows.dot('w', 'position', parts.size, parts.count === 1 ? 0 : 'w.part'),
      });
    },
    embed: () => template('embed', {
      wte: sql`(SELECT * FROM wte WHERE wte.token = ANY (ARRAY(SELECT token FROM fed)) AND wte.part = 0) AS wte`,
      wte_values: rows.storedArray('wte', model.n_embd),
    }),
    logits: () => template('logits_sharded', {
      norms: rows.norms?.('lnf.x', { count: 1, size: model.n_embd }) ?? sql`NULL::float8[]`,
      dot: rows.dot('lm_head', 'position', model.n_embd, 0),
    }),
  };
}

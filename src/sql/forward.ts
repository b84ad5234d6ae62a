import type { ModelRow } from '../db/catalog-tables.ts';
import { cachedHeads, kernel as kernelNamed, rowParts, type Kernel } from './kernels.ts';
import { render, type Fragments } from './render.ts';

/** What the forward pass needs from a model's catalog row. */
export type ModelShape = Pick<ModelRow, 'n_layer' | 'n_head' | 'n_embd' | 'layer_norm_epsilon' | 'kernel'>;

/**
 * SQL expressions for the inputs of a forward pass: bind parameters (`$1::int[]`) when the engine
 * sends a statement, quoted literals when a script is printed for psql.
 */
export interface ForwardInputs {
  /** The token ids fed, int[]. */
  ids: string;
  /** The place of the first of them: the number of positions already cached. */
  start: string;
  /** The generation session whose keys/values cache is read; absent: no cache (full recompute). */
  session?: string;
}

/** Which positions `lnf` keeps: the last one (generation) or all of them. */
export type Positions = 'last' | 'all';

/** The block being computed inside the recursive CTE (forward.sql). */
const BLOCK = 'forward.block + 1';

/** Indents every line of `text` after the first by `spaces`, to nest a fragment inside a template. */
export function nest(text: string, spaces: number): string {
  return text.trimEnd().replace(/\n(?=.)/g, `\n${' '.repeat(spaces)}`);
}

/**
 * Renders a template as a fragment to put into another: without its final newline, nor the blank
 * lines an empty placeholder leaves (our templates have no other blank lines, and no user text).
 */
export function fragment(name: string, fragments: Fragments): string {
  return render(name, fragments).replace(/\n[ \t]*(?=\n)/g, '').trimEnd();
}

/** layer_norm.sql over `input`, with the gain and bias tables of the block computed (or the only ones). */
function layerNorm(model: ModelShape, input: string, gain: string, bias: string, block?: string): string {
  const of_block = block ? ` WHERE block = ${block}` : '';
  return fragment('layer_norm', { input, gain, bias, of_block, epsilon: model.layer_norm_epsilon, n_embd: model.n_embd });
}

/** linear.sql, or linear_parts.sql when rows of `nIn` values are stored in parts (rowParts). */
function linear(kernel: Kernel, input: string, nIn: number, weight: string, bias: string): string {
  const parts = rowParts(kernel, nIn);
  const common = { kernel: kernel.name, input, weight, bias, block: BLOCK };
  if (parts.count === 1) return fragment('linear', { ...common, dot: nest(kernel.dot('w', 'activation.x'), 9), prepare: nest(kernel.prepare('x'), 2) });
  return fragment('linear_parts', {
    ...common,
    dot: nest(kernel.dot('w', 'activation.x'), 11),
    parts: parts.count,
    part_size: parts.size,
    prepare: nest(kernel.prepare('x'), 2),
  });
}

function attention(model: ModelShape, kernel: Kernel, inputs: ForwardInputs): string {
  const HS = model.n_embd / model.n_head;
  const heads = kernel.heads(HS);
  const cache = cachedHeads(kernel, HS);
  const head = (offset: string) => `qkv.x[${offset}head.h * ${HS} + 1 : ${offset}(head.h + 1) * ${HS}]`;
  const cached = inputs.session ? fragment('kv_read', { session: inputs.session, block: BLOCK }) : '';
  const headValues = heads.weightedSum
    ? fragment('atty_sum', { kernel: heads.name, weighted_sum: heads.weightedSum('att.att', 'att.v', HS, 'att.place') })
    : fragment('atty', { kernel: heads.name, head_size: HS, column_dot: nest(heads.columnDot!('heads.att', 'heads.v', 'i'), 7) });
  return fragment('attention', {
    kernel: heads.name,
    cached: nest(cached, 2),
    start: inputs.start,
    n_head: model.n_head,
    head_size: HS,
    prepare_q: heads.prepare(head('')),
    prepare_k: cache.k.prepare(head(`${model.n_embd} + `)),
    prepare_v: cache.v.prepare(head(`2 * ${model.n_embd} + `)),
    dot: heads.dot('kv.k', 'q.q'),
    head_values: nest(headValues, 4),
  });
}

/** One transformer block, the LATERAL subquery of forward.sql (block.sql). */
export function blockSql(model: ModelShape, inputs: ForwardInputs): string {
  const kernel = kernelNamed(model.kernel);
  return fragment('block', {
    block: BLOCK,
    n_embd: model.n_embd,
    ln_1: nest(layerNorm(model, 'residual', 'ln_1_g', 'ln_1_b', BLOCK), 2),
    attn_qkv: nest(linear(kernel, 'ln1', model.n_embd, 'c_attn_w', 'c_attn_b'), 2),
    attention: attention(model, kernel, inputs),
    attn_proj: nest(linear(kernel, 'atty', model.n_embd, 'c_proj_w', 'c_proj_b'), 2),
    ln_2: nest(layerNorm(model, 'residual2', 'ln_2_g', 'ln_2_b', BLOCK), 2),
    mlp_fc: nest(linear(kernel, 'ln2', model.n_embd, 'mlp_c_fc_w', 'mlp_c_fc_b'), 2),
    mlp_proj: nest(linear(kernel, 'fch_gelu', 4 * model.n_embd, 'mlp_c_proj_w', 'mlp_c_proj_b'), 2),
  });
}

/**
 * The CTEs `encoded, forward, final, lnf` (transformer.sql): every block over the ids fed, and
 * the final hidden state of the last position or of all of them. Needs WITH RECURSIVE.
 *
 * @example
 * const ctes = transformerSql(model, { ids: '$1::int[]', start: '0' }, 'last');
 * const sql = `WITH RECURSIVE\n${ctes}\nSELECT x FROM lnf`;
 */
export function transformerSql(model: ModelShape, inputs: ForwardInputs, positions: Positions): string {
  const kernel = kernelNamed(model.kernel);
  const forward = fragment('forward', { n_layer: model.n_layer, block: nest(blockSql(model, inputs), 4) });
  const lastPosition = `cardinality(forward.x) / ${model.n_embd} - 1`;
  return fragment('transformer', {
    which: positions === 'last' ? 'the last position only' : 'every position',
    ids: inputs.ids,
    start: inputs.start,
    embed: nest(fragment('embed', { ids: inputs.ids, start: inputs.start, wte_values: kernel.storedArray('wte') }), 2),
    forward,
    first_t: positions === 'last' ? lastPosition : '0',
    n_embd: model.n_embd,
    n_layer: model.n_layer,
    ln_f: nest(layerNorm(model, 'final', 'ln_f_g', 'ln_f_b'), 2),
  });
}

/** The CTE body of `logits` (logits.sql), over the rows of `lnf`. */
export function logitsSql(model: ModelShape): string {
  const kernel = kernelNamed(model.kernel);
  return fragment('logits', { kernel: kernel.name, prepare: nest(kernel.prepare('x'), 2), dot: nest(kernel.dot('lm_head', 'activation.x'), 9) });
}

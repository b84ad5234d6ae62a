/**
 * GPT-2's forward pass as SQL parts, read top to bottom like picoGPT's gpt2.py: the embeddings,
 * every block (a chain of CTEs named as llm.c names the activations) in the article's recursive
 * CTE, and ln_f. Each part is a template of sql/ (src/sql/sql.ts); a kernel (kernels/) fills in
 * how a dot product is computed. Shapes use the letters of sql/README.md.
 */
import { cachedHeads, kernel as kernelNamed, type Kernel } from './kernels/index.ts';
import { lanesFor, type Lanes, type LaneScan } from './lanes.ts';
import { matrixReads } from './matrix-reads.ts';
import type { ModelShape } from './model-shape.ts';
import { ctes, EMPTY, input, sql, template, type Code, type Cte, type Ctes, type Fill, type Sql } from './sql.ts';

export type { ModelShape } from './model-shape.ts';

/**
 * What the forward pass is fed: the positions, rows (t, s, place, token) of one sequence
 * (fed.sql) or of several (fed_batch.sql), and, for the incremental engine, the generation
 * session of each sequence (rows (s, session), sequences.sql), whose cache attention reads.
 */
export interface ForwardInputs {
  /** The CTE fed: (t, s, place, token). */
  fed: Sql;
  /** The CTE sequences: (s, session); absent: no cache. */
  sequences?: Sql;
  /**
   * How many positions are fed (T) and how many get logits (S, or T for every position), when the
   * statement is written for those numbers: each stored row meets that many at once (lanes.ts).
   * Absent: any number, in groups.
   */
  counts?: { positions?: number; outputs?: number };
}

/**
 * The lanes of the output head's scan for `outputs` positions (undefined: any number). With
 * groups of positions the head is read once for all of them (logits_shared.sql): the scan
 * parallel workers can share, and its 50,257 rows read once; the blocks' scans read their rows
 * again for each group, in one process, unless the statement gives them workers (blockParts).
 */
export function headLanes(outputs?: number): Lanes {
  return lanesFor(outputs, true);
}

/**
 * One sequence: the token ids fed (int[]) from place `start` on, without a cache. The values may
 * be the statement's inputs or SQL of a statement around it (complete.sql feeds each row's ids).
 *
 * @example
 * transformer(model, oneSequence(sql`prompt.ids`, 0), 'last', 'recursive');
 */
export function oneSequence(ids: Fill, start: Fill): ForwardInputs {
  return { fed: template('fed', { ids, start }) };
}

/** The forward pass of one sequence over the statement's inputs ids and start. */
export const FORWARD_INPUTS: ForwardInputs = oneSequence(input('ids'), input('start'));

/**
 * A batch of sequences, each with its cache: the statement's inputs ids, places, seqs (one value
 * per position) and sessions (one per sequence).
 */
export const BATCH_INPUTS: ForwardInputs = {
  fed: template('fed_batch', { ids: input('ids'), places: input('places'), seqs: input('seqs') }),
  sequences: template('sequences', { sessions: input('sessions') }),
};

/** Which positions `lnf` keeps: the last one (generation) or all of them. */
export type Positions = 'last' | 'all';

/**
 * Where a block reads its input and which block it is: inside forward.sql's recursive CTE, the
 * row of the block before and `forward.block + 1`; written out one block after another, the CTE
 * of the block before and a number.
 */
export interface BlockPlace {
  /** The block's input, float8[T*C]. */
  input: Fill;
  /** The block's index, from 0. */
  block: Fill;
  /** Its scans are shared by parallel workers (the unrolled blocks of a statement with workers: src/sql/lanes.ts). */
  shared?: boolean;
}

/** A block inside forward.sql's recursive CTE (and the trace, whose table forward stands for it). */
export const RECURSIVE_BLOCK: BlockPlace = { input: sql`forward.x`, block: sql`forward.block + 1` };

/**
 * Head `h` of a row that holds the heads side by side (HS values each) from `at` on:
 * `row[at + h*HS + 1 : at + (h+1)*HS]`. The one place heads are cut out of rows.
 *
 * @example
 * headOf('qkv.x', 'head.h', 64, '768'); // qkv.x[768 + head.h * 64 + 1 : 768 + (head.h + 1) * 64]: a key
 */
export function headOf(row: string, h: string, headSize: number, at?: string): Code {
  const from = at ? `${at} + ` : '';
  return sql`${row}[${from}${h} * ${headSize} + 1 : ${from}(${h} + 1) * ${headSize}]`;
}

/** Head `head.h`'s query, key or value, cut out of qkv (q, k and v side by side, C values each). */
export function qkvHead(model: ModelShape, which: 'q' | 'k' | 'v'): Code {
  const at = { q: undefined, k: `${model.n_embd}`, v: `2 * ${model.n_embd}` }[which];
  return headOf('qkv.x', 'head.h', model.n_embd / model.n_head, at);
}

/** layer_norm.sql over the rows of `input`, with gain and bias of `layer` (ln_1, ln_2: of `block`). */
function layerNorm(model: ModelShape, input: string, layer: 'ln_1' | 'ln_2' | 'ln_f', block?: Fill): Sql {
  const ofBlock = block === undefined ? '' : sql` WHERE block = ${block}`;
  return template('layer_norm', {
    input: sql`${input}`,
    g: sql`(SELECT values FROM ${layer}_g${ofBlock})`,
    b: sql`(SELECT values FROM ${layer}_b${ofBlock})`,
    epsilon: model.layer_norm_epsilon,
  });
}

/** Causal self-attention, all heads at once (stage attn): q, kv, preatt, att, atty. */
function attn(model: ModelShape, kernel: Kernel, inputs: ForwardInputs, block: Fill): Ctes {
  const HS = model.n_embd / model.n_head;
  const heads = kernel.heads(HS);
  const cache = cachedHeads(kernel, HS);
  const cached = inputs.sequences !== undefined ? template('kv_read', { block }) : EMPTY;
  const headValues = heads.weightedSum
    ? template('atty_sum', { weighted_sum: heads.weightedSum('att.att', 'att.v', HS, 'att.place') })
    : template('atty_columns', { head_size: HS, column_dot: heads.columnDot!('heads.att', 'heads.v', 'i') });
  return ctes(
    { name: 'q', materialized: true, note: '[T, 3*C] -> [T, NH, HS]: each head\'s query, converted once',
      body: template('attn_q', { q: heads.prepare(qkvHead(model, 'q')), n_head: model.n_head }) },
    { name: 'kv', note: '[Tk, NH, 2*HS]: each head\'s key and value of every place attended to',
      body: template('attn_kv', {
        cached, n_head: model.n_head,
        k: cache.k.prepare(qkvHead(model, 'k')), v: cache.v.prepare(qkvHead(model, 'v')),
      }) },
    { name: 'preatt', note: '[T, NH, <=Tk]: q·k / sqrt(HS) for the places each query sees',
      body: template('attn_scores', { dot: heads.dot('kv.k', 'q.q'), head_size: HS }) },
    // Not materialized: atty reads it once and groups its rows by query and head in the order the
    // softmax's window leaves them, so nothing is sorted again (where a statement reads it twice,
    // PostgreSQL computes it once all the same).
    { name: 'att', materialized: false, note: '[T, NH, <=Tk]: softmax over each query\'s places', body: template('attn_softmax') },
    { name: 'atty', note: '[T, NH, <=Tk] @ [Tk, NH, HS] -> [T, C]: heads side by side', body: template('atty', { head_values: headValues }) },
  );
}

/**
 * One transformer block, the CTEs of block.sql: picoGPT's block in the stages' names,
 * x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)), with llm.c's activation names.
 */
export function blockParts(model: ModelShape, inputs: ForwardInputs, { input, block, shared }: BlockPlace): Ctes {
  const kernel = kernelNamed(model.kernel);
  const lanes = lanesFor(inputs.counts?.positions, shared);
  const reads = matrixReads(model);
  const linear = (input: string, nIn: number, layer: string, output?: LaneScan['output']) => reads.linear(input, nIn, layer, block, lanes, output);
  const C = model.n_embd;
  // c_attn's values (columns 2C and on) as the kernel's att @ v takes them, made so as they are
  // computed: the cache and attention then take them as they are.
  const negligible = kernel.heads(model.n_embd / model.n_head).negligibleValue;
  const values = negligible ? (value: Code, column: string) => sql`CASE WHEN ${column} >= ${2 * C} AND ${negligible(value)} THEN 0 ELSE ${value} END` : undefined;
  return materialized(
    { name: 'residual', note: '[T*C] -> [T, C]: the block\'s input, one row per position', body: template('block_input', { input, n_embd: C }) },
    { name: 'ln1', note: '[T, C] -> [T, C]: ln_1', body: layerNorm(model, 'residual', 'ln_1', block) },
    { name: 'qkv', note: '[T, C] -> [T, 3*C]: c_attn, q, k and v side by side', body: linear('ln1', C, 'c_attn', values) },
    attn(model, kernel, inputs, block),
    { name: 'attproj', note: '[T, C] -> [T, C]: c_proj', body: linear('atty', C, 'c_proj') },
    { name: 'residual2', note: '[T, C] + [T, C] -> [T, C]', body: template('residual', { x: sql`residual`, fx: sql`attproj` }) },
    { name: 'ln2', note: '[T, C] -> [T, C]: ln_2', body: layerNorm(model, 'residual2', 'ln_2', block) },
    { name: 'fch', note: '[T, C] -> [T, 4*C]: mlp c_fc', body: linear('ln2', C, 'mlp_c_fc') },
    { name: 'fch_gelu', note: '[T, 4*C] -> [T, 4*C]: gelu', body: template('gelu') },
    { name: 'fcproj', note: '[T, 4*C] -> [T, C]: mlp c_proj', body: linear('fch_gelu', 4 * C, 'mlp_c_proj') },
    { name: 'residual3', note: '[T, C] + [T, C] -> [T*C]: the block\'s output', body: template('block_output') },
  );
}

/**
 * Every CTE of `list` MATERIALIZED (but one marked `materialized: false`): computed once. A CTE
 * read once would otherwise be written into the query that reads it, its columns by their
 * expressions, and an activation (a subquery over an array) read twice there would be computed twice.
 */
function materialized(...list: ReadonlyArray<Cte | Ctes>): Ctes {
  return ctes(...ctes(...list).list.map((cte) => ({ ...cte, materialized: cte.materialized ?? true })));
}

/** The parts of a forward pass, each by name: what the engine's statements and the trace are made of. */
export interface Transformer {
  /** fed: the positions fed, (t, s, place, token). */
  fed: Sql;
  /** encoded: the embeddings, [T] -> [T*C] (embed.sql). */
  encoded: Sql;
  /** The CTEs of one block as forward.sql's recursive CTE computes it (and the trace runs it). */
  block: Ctes;
  /** final: the last block's output as rows, [T*C] -> [T', C]. */
  final: Sql;
  /** lnf: ln_f over final, [T', C] -> [T', C]. */
  lnf: Sql;
  /** The whole pass as one WITH list: fed (and sequences), encoded, the blocks, final, lnf (it needs WITH RECURSIVE). */
  ctes: Ctes;
}

/**
 * How the blocks are written: `recursive`, the article's recursive CTE over the block index
 * (forward.sql); `unrolled`, one CTE per block (block_0, block_1, …), each reading the one before
 * through an uncorrelated subquery. Only the second lets PostgreSQL scan a block's weights with
 * parallel workers: a parallel plan can take a value computed once before it (an uncorrelated
 * subquery), never one that changes from row to row of the recursion. The arithmetic is the same.
 * The first keeps less memory: the recursion runs one block's plan again for the next, where the
 * unrolled statement holds every block's sorts until it ends (gpt2-xl's 48 blocks exhaust PGlite's
 * memory). src/engine/workers.ts's parallelPlan chooses.
 */
export type BlocksShape = 'recursive' | 'unrolled';

/**
 * The forward pass over the ids fed: the final hidden state of the last position or of all.
 *
 * @example
 * const { ctes } = transformer(model, FORWARD_INPUTS, 'last', 'unrolled');
 * renderBound(template('hidden', { transformer: ctes }));
 */
export function transformer(model: ModelShape, inputs: ForwardInputs, positions: Positions, shape: BlocksShape): Transformer {
  const encoded = matrixReads(model).embed();
  const blocks = shape === 'recursive' ? recursiveBlocks(model, inputs) : unrolledBlocks(model, inputs);
  const lastOutput = shape === 'recursive' ? sql`(SELECT x FROM forward WHERE block = ${model.n_layer - 1})` : sql`(SELECT x FROM block_${model.n_layer - 1})`;
  const lastOfEach = sql`fed.t IN (SELECT max(t) FROM fed GROUP BY s)`;
  const final = template('final', { input: lastOutput, kept: positions === 'last' ? lastOfEach : sql`true`, n_embd: model.n_embd });
  const lnf = layerNorm(model, 'final', 'ln_f');
  return {
    fed: inputs.fed, encoded, final, lnf,
    block: blockParts(model, inputs, RECURSIVE_BLOCK),
    ctes: ctes(
      { name: 'fed', materialized: true, note: '[T]: (t, s, place, token)', body: inputs.fed },
      ...(inputs.sequences ? [{ name: 'sequences', materialized: true, note: '[S]: (s, session)', body: inputs.sequences }] : []),
      { name: 'encoded', materialized: true, note: '[T] -> [T*C]', body: encoded },
      blocks,
      { name: 'final', materialized: true, note: positions === 'last' ? '[T*C] -> [S, C]: each sequence\'s last position' : '[T*C] -> [T, C]', body: final },
      { name: 'lnf', materialized: true, note: '[T\', C] -> [T\', C]: ln_f', body: lnf },
    ),
  };
}

/** forward.sql: every block in the article's recursive CTE, one row per block. */
function recursiveBlocks(model: ModelShape, inputs: ForwardInputs): Ctes {
  const block = template('block', { ctes: blockParts(model, inputs, RECURSIVE_BLOCK), n_embd: model.n_embd });
  const forward = template('forward', { block, n_layer: model.n_layer });
  return ctes({ name: 'forward', columns: ['block', 'x', 'k', 'v'], note: '[T*C] -> [T*C] for each block', body: forward });
}

/** One CTE per block, block_b (x, k, v), each reading the output of the one before. */
function unrolledBlocks(model: ModelShape, inputs: ForwardInputs): Ctes {
  return ctes(...Array.from({ length: model.n_layer }, (_, b) => ({
    name: `block_${b}`,
    materialized: true,
    note: `[T*C] -> [T*C]: block ${b}`,
    body: template('block', {
      ctes: blockParts(model, inputs, { input: sql`(SELECT x FROM ${b === 0 ? 'encoded' : `block_${b - 1}`})`, block: b, shared: true }),
      n_embd: model.n_embd,
    }),
  })));
}

/**
 * logits.sql over the rows of lnf: one dot product per token of lm_head, each position's logits
 * one float8[V] (logits_sharded.sql on a sharded model). `lanes`: how many positions each token's
 * row meets at once.
 */
export function logits(model: ModelShape, lanes: Lanes = headLanes()): Sql {
  return matrixReads(model).logits(lanes);
}

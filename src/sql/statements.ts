/**
 * The statements the engine runs, as values (src/sql/sql.ts): step (prefill, step, recompute),
 * next and hidden, each a template of sql/ around the forward pass of forward.ts. Their inputs are
 * the statement's own (bound as parameters, or inlined for psql) unless a statement around them
 * gives SQL instead (complete.sql feeds a step its row's ids).
 */
import { cachedHeads, kernel } from './kernels/index.ts';
import { BATCH_INPUTS, FORWARD_INPUTS, headLanes, headOf, logits, transformer, type BlocksShape, type ForwardInputs, type ModelShape } from './forward.ts';
import { SAMPLING_FIELDS, SAMPLING_KEYS, type Sampling, type SamplingKey } from './sampling-fields.ts';
import { ctes, eachInput, EMPTY, input, sql, template, type Fill, type InputName, type InputValue, type Sql } from './sql.ts';

export type { Sampling } from './sampling-fields.ts';

/** What fills choosing.sql: an array per sampling field, and each sequence's draw and logprobs (int[]). */
export type ChoosingFills = Partial<Record<SamplingKey | 'draw' | 'logprobs', Fill>>;

/** choosing.sql's inputs as the statement's own: one array input per field (top_p_each), draw_each and logprobs_each. */
export const CHOOSING_INPUTS: ChoosingFills = {
  ...Object.fromEntries(SAMPLING_KEYS.map((key) => [key, input(eachInput(key))])), draw: input('draw_each'), logprobs: input('logprobs_each'),
};

/**
 * choosing.sql: each sequence's options at its last position, from one array per field; a field
 * not filled takes its default for a batch of one (`ARRAY[0]::int[]`).
 *
 * @example
 * choosing({ temperature: sql`ARRAY[${input('temperature')}]` }); // next.sql: the temperature, the rest off
 */
export function choosing(fills: ChoosingFills = CHOOSING_INPUTS): Sql {
  const arrays: Fill[] = [
    ...SAMPLING_KEYS.map((key) => fills[key] ?? sql`ARRAY[${SAMPLING_FIELDS[key].default}]::${SAMPLING_FIELDS[key].type}[]`),
    fills.draw ?? sql`ARRAY[0]`, fills.logprobs ?? sql`ARRAY[-1]`,
  ];
  const columns = [...SAMPLING_KEYS.map((key) => SAMPLING_FIELDS[key].name), 'draw', 'logprobs'];
  return template('choosing', { arrays: joined(arrays, ', '), columns: sql`${columns.join(', ')}` });
}

/** `parts` one after another with `separator` (code) between them. */
function joined(parts: readonly Fill[], separator: string): Sql {
  return { kind: 'code', parts: parts.flatMap((part, i) => (i === 0 ? [part] : [separator, part])) };
}

/** A sequence's part of choosing.sql and penalties.sql: its options, draw index, logprobs and the tokens it generated so far. */
export interface SequenceChoice {
  sampling: Sampling;
  /** The 0-based index of the token being drawn (the seeded uniform's). */
  draw: number;
  /** How many alternatives with log-probabilities; undefined: none. */
  logprobs?: number;
  /** The tokens this generation has generated so far (the penalties count them; not the prompt's). */
  generated: readonly number[];
}

/**
 * The values of choosing.sql's and penalties.sql's inputs for `sequences` (in the order of s), on
 * a model of `vocabSize` tokens: any top_k of V or more keeps every token, and fits an int.
 */
export function choosingValues(sequences: readonly SequenceChoice[], vocabSize: number): Partial<Record<InputName, InputValue>> {
  const values: Partial<Record<InputName, InputValue>> = Object.fromEntries(SAMPLING_KEYS.map((key) => [
    eachInput(key), sequences.map(({ sampling }) => (key === 'topK' ? Math.min(sampling.topK, vocabSize) : sampling[key])),
  ]));
  return {
    ...values,
    draw_each: sequences.map((sequence) => sequence.draw),
    logprobs_each: sequences.map((sequence) => sequence.logprobs ?? -1),
    generated: sequences.flatMap((sequence) => sequence.generated),
    generated_seqs: sequences.flatMap((sequence, s) => sequence.generated.map(() => s)),
  };
}

/** The tokens each sequence generated so far, rows (s, token), from the statement's inputs. */
const GENERATED_INPUTS: Sql = sql`SELECT generated.s, generated.token FROM unnest(${input('generated_seqs')}, ${input('generated')}) AS generated(s, token)`;

/** penalties.sql: the logits sampling reads, less each sequence's presence and frequency penalties (rows (s, token) of `generated`). */
export function penalties(generated: Sql = GENERATED_INPUTS): Sql {
  return template('penalties', { generated });
}

/** What a step is fed (the forward pass's inputs), how it chooses (a CTE choosing) and the tokens it penalizes (rows (s, token)). */
export interface StepInputs {
  forward: ForwardInputs;
  choosing: Sql;
  generated: Sql;
}

/** The incremental engine's batched step: the sequences of BATCH_INPUTS with their caches, each with its options. */
export const BATCH_STEP_INPUTS: StepInputs = { forward: BATCH_INPUTS, choosing: choosing(), generated: GENERATED_INPUTS };
/** The article's engine: one sequence, no cache. */
export const RECOMPUTE_INPUTS: StepInputs = { forward: FORWARD_INPUTS, choosing: choosing(), generated: GENERATED_INPUTS };

/** tokenize.sql over `text`: rows (position, token), GPT-2's BPE in SQL (pretokenize.sql cuts the pieces). */
export function tokenize(text: Fill = input('text')): Sql {
  return template('tokenize', { pieces: template('pretokenize', { text }) });
}

/** detokenize.sql over the int[] `ids`: one row, text. */
export function detokenize(ids: Fill = input('ids')): Sql {
  return template('detokenize', { ids });
}

/** probs.sql: softmax(logits / temperature) over the CTE logits, at each position of the CTE choosing: the CTE softmax (t, temperature, z_max, total). */
export function probs(): Sql {
  return template('probs');
}

/**
 * sample.sql: each position's token chosen from logits and softmax (probs.sql), with the options
 * of the CTE choosing. `wholeRanking`: kept ranks every token sampling keeps (what the explorer
 * shows); without it, at temperature alone, only those the draw can reach (a step needs no more).
 */
export function sample(wholeRanking: boolean): Sql {
  return template('sample', { by_draw: wholeRanking ? sql`false` : sql`true` });
}

/**
 * step.sql: the forward pass over the ids fed and each sequence's next token chosen. Batched
 * (BATCH_STEP_INPUTS), each sequence's cache is read, and the chosen tokens come back with, when
 * asked, their log-probabilities (step_logprobs.sql). The new keys and values of each block are
 * appended to the caches by the statement itself (`writes`: the CTE saved, kv_save.sql), or, for a
 * statement whose scans have parallel workers (a statement that writes gets none), returned one
 * row per block for kvSave to append in a statement of its own. One statement.
 *
 * @example
 * renderBound(step(model, BATCH_STEP_INPUTS, 'recursive', true)); // parameters: ids, places, seqs, sessions, temperature_each, …
 */
export function step(model: ModelShape, inputs: StepInputs, shape: BlocksShape = 'recursive', writes = false): Sql {
  const newKv = shape === 'unrolled'
    ? sql`${Array.from({ length: model.n_layer }, (_, b) => `SELECT ${b} AS block, k, v FROM block_${b}`).join('\nUNION ALL\n')}`
    : sql`SELECT block, k, v FROM forward WHERE block >= 0`;
  const tokens = template('step_logprobs', { log_softmax: template('log_softmax') });
  const batched = inputs.forward.sequences !== undefined;
  const saving = batched && writes;
  return template('step', {
    transformer: transformer(model, inputs.forward, 'last', shape).ctes,
    logits: logits(model, headLanes(inputs.forward.counts?.outputs)),
    choosing: inputs.choosing,
    penalties: penalties(inputs.generated),
    probs: probs(),
    save: saving ? ctes({ name: 'saved', note: 'the new keys and values, appended to the caches', body: kvSave(model, sql`(\n${newKv}\n)`) }) : EMPTY,
    sample: sample(false),
    result: !batched ? template('step_token') : saving ? template('step_tokens', { tokens }) : template('step_tokens_kv', { tokens, new_kv: newKv }),
  });
}

/**
 * kv_save.sql: block b's k and v of each new position t, head h, cut out of the rows (block, k, v)
 * of `result` (the table a batched step returned them into, or the step's own CTEs), appended to
 * the cache of t's session at t's place.
 */
export function kvSave(model: ModelShape, result: string | Sql): Sql {
  const HS = model.n_embd / model.n_head;
  const { k, v } = cachedHeads(kernel(model.kernel), HS);
  const head = (column: 'k' | 'v') => headOf(`result.${column}`, 'h', HS, `t * ${model.n_embd}`);
  return template('kv_save', {
    result: typeof result === 'string' ? sql`${result}` : result, sessions: input('sessions'), seqs: input('seqs'), places: input('places'),
    n_embd: model.n_embd, n_head: model.n_head, k: k.prepare(head('k')), v: v.prepare(head('v')),
  });
}

/** step_chosen.sql: each sequence's token (and alternatives) a step chose, from the rows it returned into the table `result`. */
export function stepChosen(result: string): Sql {
  return template('step_chosen', { result: sql`${result}` });
}

/** The inputs of next.sql as the statement's own. */
const NEXT_INPUTS = { forward: FORWARD_INPUTS, temperature: input('temperature'), top: input('top') };

/** next.sql: the `top` most probable next tokens with logits and probabilities at `temperature`. */
export function next(model: ModelShape, inputs: { forward: ForwardInputs; temperature: Fill; top: Fill } = NEXT_INPUTS, shape: BlocksShape = 'recursive'): Sql {
  return template('next', {
    transformer: transformer(model, inputs.forward, 'last', shape).ctes,
    logits: logits(model, headLanes(inputs.forward.counts?.outputs)),
    choosing: choosing({ temperature: sql`ARRAY[${inputs.temperature}]` }),
    probs: probs(),
    top: inputs.top,
  });
}

/**
 * log_softmax.sql: each position's logsumexp over the CTE logits (t, logit float8[V]), as the CTE
 * logsumexp (t, logit, lse): a token's logprob is logit[token + 1] - lse. A CTE list for any
 * statement to fill in.
 *
 * @example
 * template('score', { …, log_softmax: logSoftmax() });
 */
export function logSoftmax(): Sql {
  return template('log_softmax');
}

/** What score.sql is fed (a forward pass from place 0) and how many alternatives it ranks at each position. */
export interface ScoreInputs {
  forward: ForwardInputs;
  top: Fill;
}

/** The inputs of score.sql as the statement's own: ids and start (0), and top. */
export const SCORE_INPUTS: ScoreInputs = { forward: FORWARD_INPUTS, top: input('top') };

/**
 * score.sql: the forward pass over every position of the ids fed, and for each position t the
 * token fed at t + 1 with its log-probability (NULL at the last position) and the `top` most
 * probable tokens at t with theirs: rows (t, token, logprob, top_tokens, top_logprobs, top_bytes).
 *
 * @example
 * renderBound(score(model, SCORE_INPUTS, 'unrolled')); // parameters: start, ids, top
 */
export function score(model: ModelShape, inputs: ScoreInputs = SCORE_INPUTS, shape: BlocksShape = 'recursive'): Sql {
  return template('score', {
    transformer: transformer(model, inputs.forward, 'all', shape).ctes,
    logits: logits(model, headLanes(inputs.forward.counts?.outputs)),
    log_softmax: logSoftmax(),
    top: inputs.top,
  });
}

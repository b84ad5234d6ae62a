import { fragment, logitsSql, nest, transformerSql, type ForwardInputs, type ModelShape } from './forward.ts';
import { cachedHeads, kernel } from './kernels.ts';

/** SQL expressions for the sampling options of sample.sql (bind parameters or literals). */
export interface SamplingInputs {
  temperature: string;
  top_k: string;
  top_p: string;
  seed: string;
  /** The 0-based index of the token being chosen, for the seeded uniform. */
  step: string;
}

/** The SQL type of every input a statement can take. */
export const INPUT_TYPES = {
  ids: 'int[]',
  start: 'int',
  session: 'bigint',
  temperature: 'float8',
  top_k: 'int',
  top_p: 'float8',
  seed: 'bigint',
  step: 'int',
  top: 'int',
  logits: 'float8[]',
} as const;
export type InputName = keyof typeof INPUT_TYPES;

/** A statement with bind parameters: `parameters[i]` is the input bound to `$i+1`. */
export interface Statement<N extends InputName = InputName> {
  text: string;
  parameters: N[];
}

/**
 * Bind parameters for `names`, in order: `$1::int[]`, `$2::int`, …
 *
 * @example
 * bindParameters(['ids', 'start']); // { ids: '$1::int[]', start: '$2::int' }
 */
export function bindParameters<N extends InputName>(names: readonly N[]): Record<N, string> {
  return Object.fromEntries(names.map((name, i) => [name, `$${i + 1}::${INPUT_TYPES[name]}`])) as Record<N, string>;
}

/** The parameter values of `statement`, in `$n` order. */
export function bind<N extends InputName>(statement: Statement<N>, values: Record<N, unknown>): unknown[] {
  return statement.parameters.map((name) => values[name]);
}

/**
 * step.sql: the forward pass over the ids fed, the keys/values saved to the session's cache
 * (when `inputs.session` is given), and the next token chosen. One statement.
 *
 * @example
 * stepSql(model, { ...bindParameters(['ids', 'start', 'session', 'temperature', 'top_k', 'top_p', 'seed', 'step']) });
 */
export function stepSql(model: ModelShape, inputs: ForwardInputs & SamplingInputs): string {
  const save = inputs.session ? kvSaveSql(model, inputs.session, inputs.start) : '';
  return statement('step', {
    transformer: transformerSql(model, inputs, 'last'),
    save,
    logits: nest(logitsSql(model), 2),
    probs: fragment('probs', { temperature: inputs.temperature }),
    sample: sampleStage(inputs),
  });
}

/** kv_save.sql: block b's k and v of place `start` + t, head h, sliced from forward's rows and stored as the cache's columns. */
function kvSaveSql(model: ModelShape, session: string, start: string): string {
  const HS = model.n_embd / model.n_head;
  const { k, v } = cachedHeads(kernel(model.kernel), HS);
  const head = (column: string) => `forward.${column}[t * ${model.n_embd} + h * ${HS} + 1 : t * ${model.n_embd} + (h + 1) * ${HS}]`;
  return fragment('kv_save', { session, start, n_embd: model.n_embd, n_head: model.n_head, prepare_k: k.prepare(head('k')), prepare_v: v.prepare(head('v')) });
}

/** sample_given.sql: the sample stage over logits given as a float8[] (index = token id). */
export function sampleGivenSql(inputs: SamplingInputs & { logits: string }): string {
  return statement('sample_given', {
    logits: inputs.logits,
    probs: fragment('probs', { temperature: inputs.temperature }),
    sample: sampleStage(inputs),
  });
}

/** next.sql: the `top` most probable next tokens with logits and probabilities at `temperature`. */
export function nextSql(model: ModelShape, inputs: ForwardInputs & { temperature: string; top: string }): string {
  return statement('next', {
    transformer: transformerSql(model, inputs, 'last'),
    logits: nest(logitsSql(model), 2),
    probs: fragment('probs', { temperature: inputs.temperature }),
    temperature: inputs.temperature,
    top: inputs.top,
  });
}

/** hidden.sql: the final hidden state (lnf) of every position. */
export function hiddenSql(model: ModelShape, inputs: ForwardInputs): string {
  return statement('hidden', { transformer: transformerSql(model, inputs, 'all') });
}

function sampleStage(inputs: SamplingInputs): string {
  const { temperature, top_k, top_p, seed, step } = inputs;
  return fragment('sample', { temperature, top_k, top_p, seed, step });
}

/** A whole statement: a fragment with its final newline. */
function statement(name: string, fragments: Record<string, string | number>): string {
  return `${fragment(name, fragments)}\n`;
}

/** A statement whose inputs are all bind parameters, in the order of `names`. */
export function withParameters<N extends InputName>(names: readonly N[], build: (inputs: Record<N, string>) => string): Statement<N> {
  return { text: build(bindParameters(names)), parameters: [...names] };
}

/**
 * SQL as a value. A statement is a tree of parts: templates of `sql/` with their named
 * placeholders filled, lists of named CTEs, inputs, and short code snippets of the kernels. It is
 * built once and rendered once, at the edge: with bind parameters (`$1::int[]`, what the engine
 * sends) or with quoted literals (the scripts `gpt2sql sql` prints for psql); the trace renders its
 * named parts one by one. The renderer indents what it nests and writes each template's header
 * comment once per statement; nothing reads rendered SQL back.
 */
import { quoteLiteral } from './quote.ts';
import { SAMPLING_FIELDS, SAMPLING_KEYS, type SamplingKey } from './sampling-fields.ts';
import { parsedTemplate, type TemplateLine } from './template-file.ts';

type Field<K extends SamplingKey> = (typeof SAMPLING_FIELDS)[K];
/** choosing.sql's inputs from the sampling fields: `top_p_each float8[]`, one value per sequence. */
type EachInputTypes = { [K in SamplingKey as `${Field<K>['name']}_each`]: `${Field<K>['type']}[]` };

/** A sampling field's array input of choosing.sql. */
export const eachInput = <K extends SamplingKey>(key: K) => `${SAMPLING_FIELDS[key].name}_each` as keyof EachInputTypes;

const EACH_INPUT_TYPES = Object.fromEntries(SAMPLING_KEYS.map((key) => [eachInput(key), `${SAMPLING_FIELDS[key].type}[]`])) as EachInputTypes;

/** Every input a statement can take, with its SQL type. User values reach SQL only as these. */
export const INPUT_TYPES = {
  ids: 'int[]',
  start: 'int',
  session: 'bigint',
  temperature: 'float8',
  top_k: 'int',
  top_p: 'float8',
  min_p: 'float8',
  seed: 'bigint',
  logprobs: 'int',
  top: 'int',
  places: 'int[]',
  seqs: 'int[]',
  sessions: 'bigint[]',
  ...EACH_INPUT_TYPES,
  draw_each: 'int[]',
  logprobs_each: 'int[]',
  generated: 'int[]',
  generated_seqs: 'int[]',
  stride: 'int',
  max_tokens: 'int',
  block: 'int',
  head: 'int',
  logits: 'float8[]',
  text: 'text',
  model: 'text',
  prompt: 'text',
} as const;
export type InputName = keyof typeof INPUT_TYPES;

/** A value an input takes: a number, text, or a list of integers (int[]) or numbers (float8[]). */
export type InputValue = number | string | readonly number[];

export type Sql = Template | Ctes | Input | Code;
/** What fills a placeholder: SQL, or a number (hyperparameters: n_embd, n_layer, …). */
export type Fill = Sql | number;

export interface Template {
  readonly kind: 'template';
  /** `sql/<name>.sql`. */
  readonly name: string;
  readonly fills: Readonly<Record<string, Fill>>;
}

/** One named part of a WITH list. */
export interface Cte {
  readonly name: string;
  readonly body: Sql;
  /** A column list, as a recursive CTE has: `forward (block, x, k, v) AS (…)`. */
  readonly columns?: readonly string[];
  readonly materialized?: boolean;
  /** A one-line comment after `name AS (`: its shape, as `[T, C] -> [T, C]`. */
  readonly note?: string;
}

/** A WITH list (without the keyword): `a AS (…), b AS (…)`. */
export interface Ctes {
  readonly kind: 'ctes';
  readonly list: readonly Cte[];
}

export interface Input {
  readonly kind: 'input';
  readonly name: InputName;
}

/** A snippet of code written by the program (never user text), with parts filled in. */
export interface Code {
  readonly kind: 'code';
  readonly parts: readonly (string | Fill)[];
}

/**
 * `sql/<name>.sql` with its placeholders filled.
 *
 * @example
 * template('gelu', { input: sql`fch` });
 */
export function template(name: string, fills: Record<string, Fill> = {}): Template {
  return { kind: 'template', name, fills };
}

/** A list of CTEs, to fill a template's `{{ctes}}` or to extend another list. */
export function ctes(...lists: ReadonlyArray<Cte | Ctes>): Ctes {
  return { kind: 'ctes', list: lists.flatMap((item) => ('kind' in item ? item.list : [item])) };
}

export function input(name: InputName): Input {
  return { kind: 'input', name };
}

/**
 * A code snippet: strings are code as written (program text, never user values); `${}` takes
 * numbers and SQL parts.
 *
 * @example
 * sql`inner_product(${row}.values, ${prepared})`
 */
export function sql(strings: TemplateStringsArray, ...fills: ReadonlyArray<Fill | string>): Code {
  const parts: (string | Fill)[] = [];
  strings.forEach((text, i) => {
    parts.push(text);
    if (i < fills.length) parts.push(fills[i]);
  });
  return { kind: 'code', parts };
}

/** The empty snippet: a placeholder alone on its line filled with it leaves no line behind. */
export const EMPTY: Code = { kind: 'code', parts: [] };

/** A statement rendered with bind parameters: `parameters[i]` is the input bound to `$i+1`. */
export interface BoundStatement {
  readonly text: string;
  readonly parameters: readonly InputName[];
}

/**
 * Renders with bind parameters, `$1::int[]`, numbered in order of first use.
 *
 * @example
 * renderBound(template('hidden', …)); // { text: 'WITH RECURSIVE …', parameters: ['ids', 'start'] }
 */
export function renderBound(statement: Sql): BoundStatement {
  const parameters: InputName[] = [];
  const text = render(statement, (name) => {
    if (!parameters.includes(name)) parameters.push(name);
    return `$${parameters.indexOf(name) + 1}::${INPUT_TYPES[name]}`;
  });
  return { text, parameters };
}

/**
 * Renders with every input as a literal of its type, quoted by quoteLiteral: a statement for psql.
 *
 * @example
 * renderInlined(template('tokenize', { text: input('text') }), { text: "it's" }); // … 'it''s'::text …
 */
export function renderInlined(statement: Sql, values: Partial<Record<InputName, InputValue>>): string {
  return render(statement, (name) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for the input ${name}`);
    return typedLiteral(name, value);
  });
}

/**
 * A value as a literal of its input's type: numbers (in parentheses when negative, so the cast
 * applies to the whole number), text, or integer arrays as '{1,2}'.
 *
 * @example
 * typedLiteral('seed', -5); // "(-5)::bigint"
 */
export function typedLiteral(name: InputName, value: InputValue): string {
  return `${literal(value)}::${INPUT_TYPES[name]}`;
}

function literal(value: InputValue): string {
  if (typeof value === 'number') return value < 0 ? `(${quoteLiteral(value)})` : quoteLiteral(value);
  if (typeof value === 'string') return quoteLiteral(value);
  if (!value.every(Number.isFinite)) throw new Error(`not a list of numbers: ${value.join(', ')}`);
  return quoteLiteral(`{${value.join(',')}}`);
}

// ---- rendering -------------------------------------------------------------------------------

/** A piece of an output line: code (one line), or an input's text, which is never re-indented. */
type Atom = string | { readonly value: string };
interface Line {
  indent: number;
  atoms: Atom[];
}
interface Context {
  inputText(name: InputName): string;
  /** Templates whose header comment this statement already has. */
  headers: Set<string>;
}

/** The column at which a CTE's note starts, as the templates align their comments. */
const NOTE_COLUMN = 32;

function render(statement: Sql, inputText: (name: InputName) => string): string {
  const lines = renderLines(statement, { inputText, headers: new Set() });
  return lines.map((line) => ' '.repeat(line.indent) + line.atoms.map((a) => (typeof a === 'string' ? a : a.value)).join('')).join('\n');
}

function renderLines(part: Fill, context: Context): Line[] {
  if (typeof part === 'number') return [{ indent: 0, atoms: [numberText(part)] }];
  switch (part.kind) {
    case 'input':
      return [{ indent: 0, atoms: [{ value: context.inputText(part.name) }] }];
    case 'code':
      return renderCode(part, context);
    case 'ctes':
      return part.list.flatMap((cte, i) => renderCte(cte, i === part.list.length - 1, context));
    case 'template':
      return renderTemplate(part, context);
  }
}

function numberText(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`cannot write ${value} into SQL`);
  return String(value);
}

function renderCte(cte: Cte, last: boolean, context: Context): Line[] {
  const columns = cte.columns ? ` (${cte.columns.join(', ')})` : '';
  const head = `${cte.name}${columns} AS ${cte.materialized ? 'MATERIALIZED ' : ''}(`;
  const opening = cte.note ? `${head.padEnd(NOTE_COLUMN - 1)} -- ${cte.note}` : head;
  const body = indented(renderLines(cte.body, context), 2);
  return [{ indent: 0, atoms: [opening] }, ...body, { indent: 0, atoms: [last ? ')' : '),'] }];
}

function renderTemplate(part: Template, context: Context): Line[] {
  const file = parsedTemplate(part.name);
  const unused = Object.keys(part.fills).filter((name) => !file.placeholders.has(name));
  if (unused.length) throw new Error(`sql/${part.name}.sql has no placeholder ${unused.map((n) => `{{${n}}}`).join(', ')}`);
  const fill = (name: string): Fill => {
    if (!(name in part.fills)) throw new Error(`sql/${part.name}.sql: no value for {{${name}}}`);
    return part.fills[name];
  };
  const header = context.headers.has(part.name) ? [] : file.header.map((text) => ({ indent: 0, atoms: [text] }));
  context.headers.add(part.name);
  return [...header, ...file.body.flatMap((line) => renderTemplateLine(line, fill, context))];
}

/** A template line: a placeholder alone on it takes its indentation; others are filled in place. */
function renderTemplateLine(line: TemplateLine, fill: (name: string) => Fill, context: Context): Line[] {
  if (line.alone !== undefined) {
    const lines = indented(renderLines(fill(line.alone), context), line.indent);
    if (line.trailing && lines.length) lines[lines.length - 1].atoms.push(line.trailing);
    return lines;
  }
  return joinInline(line.indent, line.segments.map((segment) => (typeof segment === 'string' ? segment : fill(segment.placeholder))), context);
}

/** A snippet's lines: its text split at newlines, its fills put in place. */
function renderCode(part: Code, context: Context): Line[] {
  if (part.parts.length === 0 || (part.parts.length === 1 && part.parts[0] === '')) return [];
  return joinInline(0, part.parts, context);
}

/**
 * One logical line made of text and fills: a fill of several lines continues the line with its
 * first and adds the others, indented from the line's own indentation.
 */
function joinInline(indent: number, pieces: ReadonlyArray<string | Fill>, context: Context): Line[] {
  const lines: Line[] = [{ indent, atoms: [] }];
  const current = () => lines[lines.length - 1];
  for (const piece of pieces) {
    const rendered = typeof piece === 'string' ? textLines(piece) : renderLines(piece, context);
    rendered.forEach((line, i) => {
      if (i === 0) current().atoms.push(...(line.indent ? [' '.repeat(line.indent)] : []), ...line.atoms);
      else lines.push({ indent: indent + line.indent, atoms: [...line.atoms] });
    });
  }
  return lines;
}

function textLines(text: string): Line[] {
  return text.split('\n').map((line, i) => {
    if (i === 0) return { indent: 0, atoms: line ? [line] : [] };
    const spaces = line.length - line.trimStart().length;
    return { indent: spaces, atoms: [line.slice(spaces)] };
  });
}

function indented(lines: Line[], by: number): Line[] {
  return lines.map((line) => ({ indent: line.indent + by, atoms: line.atoms }));
}

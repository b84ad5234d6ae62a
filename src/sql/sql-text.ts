/**
 * Reading our own SQL text: where its code is (outside comments, strings and quoted
 * identifiers), its `$n` parameters, and the CTEs of a WITH list. Used to print statements for
 * psql with their values inlined (script.ts) and to run a statement's CTEs one at a time
 * (src/trace/). Only ever applied to SQL we generate, never to user input.
 */

/**
 * `text` with everything that is not code (comments, string literals, quoted identifiers,
 * dollar-quoted strings) replaced by spaces, position for position, so a regular expression
 * or a parenthesis count over the result sees only code.
 *
 * @example
 * maskSql("SELECT '$1' -- (\n, $1"); // "SELECT      " + "     \n, $1"
 */
export function maskSql(text: string): string {
  let masked = '';
  let i = 0;
  while (i < text.length) {
    const end = endOfNonCode(text, i);
    if (end === i) {
      masked += text[i++];
    } else {
      masked += text.slice(i, end).replace(/[^\n]/g, ' ');
      i = end;
    }
  }
  return masked;
}

const IDENTIFIER_CHAR = /[\p{L}\p{N}_$]/u;

/** Where the comment, string or quoted identifier starting at `i` ends; `i` if none starts there. */
function endOfNonCode(text: string, i: number): number {
  const c = text[i], next = text[i + 1] ?? '';
  const previous = i > 0 ? text[i - 1] : '';
  if (c === '-' && next === '-') return lineEnd(text, i);
  if (c === '/' && next === '*') return blockCommentEnd(text, i);
  if (c === "'") return quotedEnd(text, i, "'", /[eE]/.test(previous) && !IDENTIFIER_CHAR.test(text[i - 2] ?? ''));
  if (c === '"') return quotedEnd(text, i, '"', false);
  if (c === '$' && !IDENTIFIER_CHAR.test(previous)) {
    const tag = /^\$(?:[\p{L}_][\p{L}\p{N}_]*)?\$/u.exec(text.slice(i, i + 64));
    if (tag) {
      const close = text.indexOf(tag[0], i + tag[0].length);
      return close < 0 ? text.length : close + tag[0].length;
    }
  }
  return i;
}

function lineEnd(text: string, i: number): number {
  const newline = text.slice(i).search(/[\r\n]/);
  return newline < 0 ? text.length : i + newline;
}

/** Block comments nest in PostgreSQL. */
function blockCommentEnd(text: string, i: number): number {
  let depth = 0;
  for (let j = i; j < text.length - 1; j++) {
    const pair = text[j] + text[j + 1];
    if (pair === '/*') {
      depth++;
      j++;
    } else if (pair === '*/') {
      depth--;
      j++;
      if (depth === 0) return j + 1;
    }
  }
  return text.length;
}

/** A doubled quote stays inside; in an E'' string a backslash escapes the next character. */
function quotedEnd(text: string, i: number, quote: string, backslashes: boolean): number {
  for (let j = i + 1; j < text.length; j++) {
    if (backslashes && text[j] === '\\') j++;
    else if (text[j] === quote) {
      if (text[j + 1] === quote) j++;
      else return j + 1;
    }
  }
  return text.length;
}

/**
 * Replaces each parameter `$n` in the code of `text` (not in its comments or strings) by
 * `values[n - 1]`, an SQL expression. The values are inserted as they are and never read again,
 * so a value can hold anything an expression can, including `$1` in a string.
 *
 * @example
 * inlineParameters('SELECT $1::text -- $1', ["'hi'"]); // "SELECT 'hi'::text -- $1"
 */
export function inlineParameters(text: string, values: readonly string[]): string {
  const masked = maskSql(text);
  let out = '';
  let last = 0;
  for (const match of masked.matchAll(/(?<![\p{L}\p{N}_$])\$(\d+)/gu)) {
    const n = Number(match[1]);
    if (n < 1 || n > values.length) throw new Error(`no value for parameter $${n} (${values.length} given)`);
    out += text.slice(last, match.index) + values[n - 1];
    last = match.index! + match[0].length;
  }
  return out + text.slice(last);
}

/** One CTE of a WITH list: `name AS (body)`. */
export interface Cte {
  name: string;
  body: string;
}

/**
 * The CTEs of a statement that starts with a WITH list (the keyword WITH is optional, so a bare
 * list as sql/transformer.sql renders also works), in order, and the text after the list.
 *
 * @example
 * splitCtes('WITH a AS (SELECT 1), b AS MATERIALIZED (SELECT 2) SELECT * FROM b');
 * // { ctes: [{ name: 'a', body: 'SELECT 1' }, { name: 'b', body: 'SELECT 2' }], rest: ' SELECT * FROM b' }
 */
export function splitCtes(text: string): { ctes: Cte[]; rest: string } {
  const masked = maskSql(text);
  const ctes: Cte[] = [];
  const start = /^\s*(?:WITH\s+(?:RECURSIVE\s+)?)?/iy;
  start.exec(masked);
  let i = start.lastIndex;
  const head = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\([^()]*\))?\s*AS\s+(?:NOT\s+)?(?:MATERIALIZED\s*)?\(/iy;
  for (;;) {
    head.lastIndex = i;
    const found = head.exec(masked);
    if (!found) break;
    const close = matchingParenthesis(masked, head.lastIndex - 1);
    ctes.push({ name: found[1], body: text.slice(head.lastIndex, close) });
    const comma = /\s*,/y;
    comma.lastIndex = close + 1;
    i = close + 1;
    if (!comma.exec(masked)) break;
    i = comma.lastIndex;
  }
  return { ctes, rest: text.slice(i) };
}

function matchingParenthesis(masked: string, open: number): number {
  let depth = 0;
  for (let j = open; j < masked.length; j++) {
    if (masked[j] === '(') depth++;
    else if (masked[j] === ')' && --depth === 0) return j;
  }
  throw new Error(`unbalanced parentheses after position ${open}`);
}

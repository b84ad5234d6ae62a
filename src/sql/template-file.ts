/**
 * The files of `sql/` as the renderer reads them. A template is:
 *
 *   -- name: what it computes, in GPT-2's terms        the header: written once per statement
 *   -- Inputs: …
 *   -- [T, C] -> [T, C]                                its shape line
 *   --
 *   -- In psql: …                                      its usage: never rendered
 *   SELECT … {{placeholder}} …                         the body
 *
 * Placeholders are `{{name}}`: filled with SQL parts, numbers or inputs (src/sql/sql.ts). One alone
 * on its line (or followed only by a comma, as a CTE in a WITH list) is filled at that line's
 * indentation, and leaves no line when it is filled with nothing. A template never writes `$1`:
 * inputs are placeholders too. The header holds no placeholder: it describes every use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SQL_DIR } from '../package-files.ts';

export interface TemplateLine {
  indent: number;
  /** The line after its indentation: text and placeholders. */
  segments: Array<string | { placeholder: string }>;
  /** The placeholder, when it stands alone on the line (or followed by a comma only, as a CTE of a list). */
  alone?: string;
  /** What follows a placeholder alone on its line: '' or ','. */
  trailing: string;
}

export interface TemplateFile {
  header: string[];
  body: TemplateLine[];
  placeholders: Set<string>;
}

const PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/g;
/** Where a header's usage part starts. */
const USAGE = /^--\s*In psql\b/;

const parsed = new Map<string, TemplateFile>();

/** `sql/<name>.sql`, read and parsed once. */
export function parsedTemplate(name: string): TemplateFile {
  let file = parsed.get(name);
  if (!file) {
    file = parseTemplate(readFileSync(join(SQL_DIR, `${name}.sql`), 'utf8'));
    parsed.set(name, file);
  }
  return file;
}

export function parseTemplate(text: string): TemplateFile {
  const lines = text.replace(/\s+$/, '').split('\n');
  let start = 0;
  while (start < lines.length && lines[start].startsWith('--')) start++;
  const usage = lines.slice(0, start).findIndex((line) => USAGE.test(line));
  const header = lines.slice(0, usage < 0 ? start : usage);
  while (header.length && header[header.length - 1].trim() === '--') header.pop();
  const placeholderInHeader = header.find((line) => /\{\{\s*\w+\s*\}\}/.test(line));
  if (placeholderInHeader) throw new Error(`a template's header holds no placeholder: ${placeholderInHeader}`);
  const placeholders = new Set<string>();
  const body = lines.slice(start).map((line) => parseLine(line, placeholders));
  return { header, body, placeholders };
}

function parseLine(line: string, placeholders: Set<string>): TemplateLine {
  const indent = line.length - line.trimStart().length;
  const rest = line.slice(indent);
  const segments: TemplateLine['segments'] = [];
  let last = 0;
  for (const match of rest.matchAll(PLACEHOLDER)) {
    if (match.index! > last) segments.push(rest.slice(last, match.index));
    segments.push({ placeholder: match[1] });
    placeholders.add(match[1]);
    last = match.index! + match[0].length;
  }
  if (last < rest.length) segments.push(rest.slice(last));
  const [first, second] = segments;
  const trailing = segments.length === 2 && typeof second === 'string' && second.trim() === ',' ? ',' : '';
  const alone = typeof first !== 'string' && segments.length === (trailing ? 2 : 1) ? first.placeholder : undefined;
  return { indent, segments, alone, trailing };
}

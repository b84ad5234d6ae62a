/**
 * The explorer's traces: one per model and prompt, made on first use and read by every later
 * request for the same pair (in this server or the next one on the same database). Their names
 * come from a hash of the model and the prompt, so a link to the page finds its trace again; the
 * oldest go when a model has more than `limit`.
 */
import { createHash } from 'node:crypto';
import type { ModelRow } from '../db/catalog-tables.ts';
import type { Database } from '../db/database.ts';
import { encode } from '../engine/tokenizer.ts';
import { quoteIdent } from '../sql/quote.ts';
import { traceForwardPass, traceSchema } from './trace-forward-pass.ts';

/** The explorer keeps this many traces of each model; each holds a vocabulary of logits and probabilities. */
export const EXPLORER_TRACE_LIMIT = 8;

const PREFIX = 'explore_';

/** An explorer trace, ready to read. */
export interface ExplorerTrace {
  /** The trace's schema. */
  schema: string;
  /** Seconds spent making it now, or 0 when it was there already. */
  seconds: number;
}

/**
 * The trace's name for a model and a prompt: `explore_` and 16 hex digits of their SHA-256.
 *
 * @example
 * explorerTraceName('gpt2', 'Hello'); // 'explore_…' (schema trace_explore_…)
 */
export function explorerTraceName(model: string, prompt: string): string {
  return PREFIX + createHash('sha256').update(`${model}\0${prompt}`).digest('hex').slice(0, 16);
}

/**
 * The explorer's traces on one database. Traces are made with the logits of the last position
 * only (all the next-token panel reads) and the logit lens at that position.
 *
 * @example
 * const traces = new ExplorerTraces(db);
 * const { schema } = await traces.get(model, 'Hello world');
 */
export class ExplorerTraces {
  private readonly making = new Map<string, Promise<ExplorerTrace>>();

  constructor(private readonly db: Database, private readonly limit = EXPLORER_TRACE_LIMIT) {}

  /** The trace of `prompt` through `model`, made now if it is missing, older than the model's load, or of another format. */
  async get(model: ModelRow, prompt: string): Promise<ExplorerTrace> {
    const name = explorerTraceName(model.name, prompt);
    const running = this.making.get(name);
    if (running) return { ...(await running), seconds: 0 };
    const schema = traceSchema(name);
    if (await this.usable(schema, model, prompt)) return { schema, seconds: 0 };
    const made = this.make(model, prompt, name).finally(() => this.making.delete(name));
    this.making.set(name, made);
    return made;
  }

  private async make(model: ModelRow, prompt: string, name: string): Promise<ExplorerTrace> {
    const started = performance.now();
    const ids = await encode(this.db, model, prompt);
    const schema = await traceForwardPass(this.db, model, ids, { name, prompt, logits: 'last', lens: 'last' });
    const seconds = (performance.now() - started) / 1000;
    await this.dropOldest(model, schema);
    return { schema, seconds };
  }

  /** Whether `schema` holds this prompt's trace through this load of the model, with every table the explorer reads. */
  private async usable(schema: string, model: ModelRow, prompt: string): Promise<boolean> {
    const [found] = await this.db.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [`${quoteIdent(schema)}.lens`]);
    if (!found.found) return false;
    const [info] = await this.db.query<{ model: string; prompt: string; traced_at: Date }>(
      `SELECT model, prompt, traced_at FROM ${quoteIdent(schema)}.info`,
    );
    return info !== undefined && info.model === model.name && info.prompt === prompt && info.traced_at >= model.loaded_at;
  }

  /** Drops the model's explorer traces beyond the limit, oldest first; never `keep`, the one just made. */
  private async dropOldest(model: ModelRow, keep: string): Promise<void> {
    const schemas = await this.db.query<{ schema: string }>(
      "SELECT nspname AS schema FROM pg_namespace WHERE starts_with(nspname, $1) AND obj_description(oid, 'pg_namespace') LIKE 'gpt2sql trace:%'",
      [`trace_${PREFIX}`],
    );
    const dated: Array<{ schema: string; at: number }> = [];
    for (const { schema } of schemas) {
      if (schema === keep) continue;
      const [info] = await this.db.query<{ model: string; traced_at: Date }>(`SELECT model, traced_at FROM ${quoteIdent(schema)}.info`).catch(() => []);
      if (info === undefined || info.model === model.name) dated.push({ schema, at: info?.traced_at.getTime() ?? 0 });
    }
    dated.sort((a, b) => b.at - a.at);
    for (const { schema } of dated.slice(Math.max(0, this.limit - 1))) {
      await this.db.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    }
  }
}

import type { Database, ParallelLimits } from '../db/database.ts';
import { integer, OptionError } from './options.ts';

/** How many parallel workers the statements that read weights get, and whether a request was moot. */
export interface Workers {
  /** Workers per scan of weights (max_parallel_workers_per_gather for the statement's transaction). */
  count: number;
  /** True when workers were asked of a database of one process (PGlite), which has none. */
  ignored: boolean;
}

/**
 * The parallel workers a generation's statements may have: `requested` (0: none), by default
 * what the server gives a scan, max_parallel_workers_per_gather (never above max_parallel_workers,
 * the whole server's). More than max_parallel_workers is refused: the server would never start
 * them. The embedded database runs in one process: any count is accepted and has no effect.
 *
 * @example
 * await workersOption(db);    // { count: 2, ignored: false } on a stock server
 * await workersOption(db, 0); // { count: 0, ignored: false }: no parallel workers
 */
export async function workersOption(db: Database, requested?: number): Promise<Workers> {
  const limits = await db.parallelLimits();
  if (!limits) {
    if (requested !== undefined) integer('workers', requested, 0, 'an integer >= 0');
    return { count: 0, ignored: requested !== undefined };
  }
  if (requested === undefined) return { count: Math.min(limits.perGather, limits.total), ignored: false };
  const rule = workersRule(limits);
  if (integer('workers', requested, 0, rule) > limits.total) throw new OptionError('workers', rule, requested);
  return { count: requested, ignored: false };
}

function workersRule(limits: ParallelLimits): string {
  return `an integer from 0 to ${limits.total}, the server's max_parallel_workers (see \`gpt2sql models\` to raise it)`;
}

/**
 * What the server's limits mean for gpt2sql, and how to raise them, as `gpt2sql models` says it.
 *
 * @example
 * parallelSummary({ perGather: 2, total: 8, processes: 8 });
 */
export function parallelSummary(limits: ParallelLimits | null): string {
  if (!limits) return 'parallel workers: none (the embedded database runs in one process; --workers has no effect)';
  return [
    `parallel workers: ${Math.min(limits.perGather, limits.total)} per scan of weights by default ` +
      `(max_parallel_workers_per_gather = ${limits.perGather}; --workers N asks for up to max_parallel_workers = ${limits.total})`,
    'to raise the default, as a superuser: ALTER SYSTEM SET max_parallel_workers_per_gather = N; SELECT pg_reload_conf();',
    `(max_parallel_workers is within max_worker_processes = ${limits.processes}, which takes a server restart to change)`,
  ].join('\n');
}

import type { Database, ParallelLimits } from '../db/database.ts';
import type { BlocksShape, ModelShape } from '../sql/forward.ts';
import { kernel as kernelNamed } from '../sql/kernels/index.ts';
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

/**
 * What starting a scan's parallel workers costs, each time its Gather runs: PostgreSQL starts them
 * anew for every execution (5 to 11 ms measured on PostgreSQL 15 on the README's 2-core machine:
 * `SELECT count(*)` of a 1-row table alone 0.2 ms, with one worker 8.5 ms).
 */
export const GATHER_START_MS = 10;

/** How a statement's scans of weights get parallel workers. */
export interface ParallelPlan {
  /** Workers per scan (max_parallel_workers_per_gather); 0: none in this statement. */
  workers: number;
  /** The smallest scan, in bytes, that gets workers (min_parallel_table_scan_size). */
  minScanBytes: number;
  /** How the blocks are written: unrolled (one CTE each) only when a block's scans may have workers. */
  shape: BlocksShape;
}

/** No parallel workers. */
export const SERIAL: ParallelPlan = { workers: 0, minScanBytes: Infinity, shape: 'recursive' };

/**
 * Which scans of a statement feeding `positions` positions are worth `workers` parallel workers:
 * those whose dot products take longer than the workers save. The planner cannot weigh that
 * itself: it counts a dot product as cheap as `+` (pgvector's and cube's functions are not ours to
 * give a COST), and a Gather's start as nothing or as everything. So the rule is gpt2sql's, on
 * rows × positions: a scan of B bytes holds B / bytesPerValue stored values, and computes
 * positions products with each, at the kernel's measured nanosecondsPerValue; split between
 * w + 1 processes that saves w / (w + 1) of it, against GATHER_START_MS to start the workers. So
 * a scan gets workers when
 *   B / bytesPerValue × positions × nanosecondsPerValue > GATHER_START_MS × (w + 1) / w,
 * which the planner is told as min_parallel_table_scan_size (parallelSettings): the scans of
 * fewer bytes stay in one process, as PostgreSQL decides scan by scan. A statement none of whose
 * scans is that large gets no workers at all, and keeps the article's recursive CTE over the
 * blocks (unrolled blocks only serve workers). Examples on GPT-2 124M, 2 workers: with pgvector a
 * step of one generation gives workers only to the output head (50,257 rows: 50 ms of products),
 * a prefill of 32 positions to every matrix of 4.7 MB or more; with cube a step gives them to
 * c_attn, c_fc, mlp c_proj and the head, not to attn c_proj (4.7 MB: 6.5 ms).
 *
 * @example
 * parallelPlan(model, 2, 1);  // { workers: 2, minScanBytes: 46153847, shape: 'recursive' } for 124M with vector
 */
export function parallelPlan(model: ModelShape & { vocab_size: number }, workers: number, positions: number): ParallelPlan {
  if (workers <= 0) return SERIAL;
  const kernel = kernelNamed(model.kernel);
  const breakEvenNs = GATHER_START_MS * 1e6 * ((workers + 1) / workers);
  const minScanBytes = Math.ceil((breakEvenNs * kernel.bytesPerValue) / (Math.max(1, positions) * kernel.nanosecondsPerValue));
  const largestBlockScan = 4 * model.n_embd * model.n_embd * kernel.bytesPerValue; // mlp c_fc's and c_proj's
  const headScan = model.vocab_size * model.n_embd * kernel.bytesPerValue;
  if (Math.max(largestBlockScan, headScan) < minScanBytes) return SERIAL;
  return { workers, minScanBytes, shape: largestBlockScan >= minScanBytes ? 'unrolled' : 'recursive' };
}

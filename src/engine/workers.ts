import type { Database, ParallelLimits } from '../db/database.ts';
import type { BlocksShape, ModelShape } from '../sql/forward.ts';
import { kernel as kernelNamed } from '../sql/kernels/index.ts';
import { integer, OptionError } from './options.ts';

/** How many parallel workers the statements that read weights get, what starting them costs and what they give. */
export interface Workers extends WorkerCosts {
  /** True when workers were asked of a database of one process (PGlite), which has none. */
  ignored: boolean;
}

/** A Gather's workers on one server: how many, what starting them costs, how much faster they make a scan. */
export interface WorkerCosts {
  /** Workers per scan of weights (max_parallel_workers_per_gather for the statement's transaction). */
  count: number;
  /** Milliseconds to start them, each time a Gather runs (measured on the connection: gatherStartMs). */
  startMs: number;
  /** How many times faster a scan's products go with them: count + 1 processes, at most the server's cores. */
  speedup: number;
}

/**
 * The parallel workers a generation's statements may have: `requested` (0: none), by default
 * what the server gives a scan, max_parallel_workers_per_gather (never above max_parallel_workers,
 * the whole server's), where the server's cores are known (a server on this machine) at most
 * its cores less one, and none on 2 cores or fewer (defaultWorkers). More than
 * max_parallel_workers is refused: the server would never start them. With
 * workers, what starting them costs is measured once per connection (gatherStartMs). The embedded
 * database runs in one process: any count is accepted and has no effect.
 *
 * @example
 * await workersOption(db);    // { count: 3, startMs: 8.4, speedup: 4, ignored: false } on a 4-core machine's server
 * await workersOption(db, 0); // { count: 0, startMs: 0, speedup: 1, ignored: false }: no parallel workers
 */
export async function workersOption(db: Database, requested?: number): Promise<Workers> {
  const limits = await db.parallelLimits();
  if (!limits) {
    if (requested !== undefined) integer('workers', requested, 0, 'an integer >= 0');
    return { ...NO_WORKERS, ignored: requested !== undefined };
  }
  let count = defaultWorkers(limits);
  if (requested !== undefined) {
    const rule = workersRule(limits);
    if (integer('workers', requested, 0, rule) > limits.total) throw new OptionError('workers', rule, requested);
    count = requested;
  }
  if (count <= 0) return { ...NO_WORKERS, ignored: false };
  return { count, startMs: await gatherStartMs(db, count), speedup: Math.min(count + 1, limits.cores ?? Infinity), ignored: false };
}

const NO_WORKERS: WorkerCosts = { count: 0, startMs: 0, speedup: 1 };

/**
 * The workers a scan may have unless asked: max_parallel_workers_per_gather (within
 * max_parallel_workers); on a server of known cores at most cores - 1, and none on 2 cores or
 * fewer. Measured on 2 cores (README, Benchmark): a worker starts 25 to 40 ms after its Gather
 * does, quiet, while the leader scans, so it takes a small share of the rows; with one worker
 * pgvector's prefill of 32 took 2 to 5 times as long as without, cube's 3 times, and no step
 * gained. The array kernel gains (its products are 100 times slower): ask for `--workers 1` there.
 */
function defaultWorkers(limits: ParallelLimits): number {
  const perScan = Math.min(limits.perGather, limits.total);
  if (limits.cores === null) return perScan;
  return limits.cores <= 2 ? 0 : Math.min(perScan, limits.cores - 1);
}

function workersRule(limits: ParallelLimits): string {
  return `an integer from 0 to ${limits.total}, the server's max_parallel_workers (see \`gpt2sql models\` to raise it)`;
}

/**
 * What the server's limits mean for gpt2sql, and how to raise them, as `gpt2sql models` says it.
 *
 * @example
 * parallelSummary({ perGather: 2, total: 8, processes: 8, cores: 2 });
 */
export function parallelSummary(limits: ParallelLimits | null): string {
  if (!limits) return 'parallel workers: none (the embedded database runs in one process; --workers has no effect)';
  const count = defaultWorkers(limits);
  const cores = limits.cores === null ? '' : limits.cores <= 2 ? `, but none on the ${limits.cores} cores the server shares with this machine`
    : `, and the ${limits.cores} cores the server shares with this machine less one`;
  return [
    `parallel workers: ${count} per scan of weights by default (max_parallel_workers_per_gather = ${limits.perGather}${cores}; ` +
      `--workers N asks for up to max_parallel_workers = ${limits.total})`,
    'a scan gets them only where they save more of its products\' time than starting them costs (measured on each connection)',
    'to raise the default, as a superuser: ALTER SYSTEM SET max_parallel_workers_per_gather = N; SELECT pg_reload_conf();',
    `(max_parallel_workers is within max_worker_processes = ${limits.processes}, which takes a server restart to change)`,
  ].join('\n');
}

/**
 * What starting a Gather's workers costs where it was not measured (a plan written for a given
 * count, as the tests do): 10 ms, PostgreSQL 15 on one quiet 2-core machine (`SELECT count(*)`
 * of a 1-row table alone 0.2 ms, with one worker 8.5 ms). Measured ones ran from 5 to 90 ms on
 * machines of that kind, with the machine and its load: see gatherStartMs.
 */
export const GATHER_START_MS = 10;

/** The costs a plan assumes for `count` workers when none were measured: GATHER_START_MS, a core each. */
export function assumedCosts(count: number): WorkerCosts {
  return count > 0 ? { count, startMs: GATHER_START_MS, speedup: count + 1 } : NO_WORKERS;
}

/** Each connection's measured start of a Gather, by worker count. */
const measured = new WeakMap<Database, Map<number, Promise<number>>>();

/**
 * The query whose Gather is timed: a sequential scan of pg_am, a catalog of one page in every
 * database, so that the time with workers minus the time without is their start and nothing a
 * worker could save (a larger catalog such as pg_attribute grows with every schema, and on a
 * grown one the workers' share of the scan hid their start). A one-page table is planned one
 * worker whatever `count` is: workers start side by side, so one's start stands for theirs.
 */
const PROBE = 'SELECT count(*) FROM pg_catalog.pg_am';

/**
 * What starting `count` parallel workers costs on this server now, in milliseconds: the least of
 * three runs of a scan with them less the least of three without, measured once per connection.
 * PostgreSQL starts a Gather's workers anew each time it runs, each a process that attaches to
 * the query's shared memory and warms its own caches: 5 to 11 ms on one quiet 2-core machine,
 * 25 to 40 on another, up to 90 with other work running. Infinity when the server started none
 * (every worker slot busy): then no scan gets workers.
 */
export async function gatherStartMs(db: Database, count: number): Promise<number> {
  const byCount = measured.get(db) ?? new Map<number, Promise<number>>();
  measured.set(db, byCount);
  if (!byCount.has(count)) {
    // A failed measurement is not kept: the next generation measures again.
    byCount.set(count, measureGatherStart(db, count).catch((error: unknown) => { byCount.delete(count); throw error; }));
  }
  return byCount.get(count)!;
}

/** What makes the probe a Parallel Seq Scan with the workers asked for, whatever the catalog's statistics. */
const PROBE_SETTINGS = ['parallel_setup_cost = 0', 'parallel_tuple_cost = 0', 'min_parallel_table_scan_size = 0',
  'enable_indexscan = off', 'enable_indexonlyscan = off', 'enable_bitmapscan = off'].map((setting) => `SET LOCAL ${setting};`).join(' ');

async function measureGatherStart(db: Database, count: number): Promise<number> {
  // In a savepoint rolled back at the end: the probe's settings never reach a transaction it joins.
  return db.transaction(async () => {
    await db.exec(`SAVEPOINT gather_probe; ${PROBE_SETTINGS}`);
    try {
      return await probeRuns(db, count);
    } finally {
      await db.exec('ROLLBACK TO SAVEPOINT gather_probe; RELEASE SAVEPOINT gather_probe');
    }
  });
}

async function probeRuns(db: Database, count: number): Promise<number> {
  const best = { serial: Infinity, parallel: Infinity };
  for (let run = 0; run < 3; run++) {
    for (const workers of [0, count]) {
      await db.exec(`SET LOCAL max_parallel_workers_per_gather = ${workers}`);
      const [row] = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${PROBE}`);
      const [explained] = (typeof row['QUERY PLAN'] === 'string' ? JSON.parse(row['QUERY PLAN']) : row['QUERY PLAN']) as [{ Plan: PlanNode; 'Execution Time': number }];
      if (workers === 0) best.serial = Math.min(best.serial, explained['Execution Time']);
      else if (launched(explained.Plan) > 0) best.parallel = Math.min(best.parallel, explained['Execution Time']);
    }
  }
  return Math.max(1, best.parallel - best.serial);
}

interface PlanNode {
  'Workers Launched'?: number;
  Plans?: PlanNode[];
}

function launched(node: PlanNode): number {
  return (node['Workers Launched'] ?? 0) + (node.Plans ?? []).reduce((sum, child) => sum + launched(child), 0);
}

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
 * Which scans of a statement feeding `positions` positions, `outputs` of which get logits, are worth the workers: those whose
 * dot products take longer than the workers save. The planner cannot weigh that itself: it counts
 * a dot product as cheap as `+` (pgvector's and cube's functions are not ours to give a COST),
 * and a Gather's start as nothing or as everything. So the rule is gpt2sql's, on rows ×
 * positions, with what was measured: a scan of B bytes holds B / bytesPerValue stored values, and
 * computes positions products with each (the output head: outputs), at the kernel's measured nanosecondsPerValue; spread over
 * `speedup` processes' worth of CPU (count + 1 processes, at most the server's cores) that saves
 * (speedup − 1) / speedup of it, against startMs to start the workers. So a scan gets workers when
 *   B / bytesPerValue × positions × nanosecondsPerValue > startMs × speedup / (speedup − 1),
 * which the planner is told as min_parallel_table_scan_size (parallelSettings): the scans of
 * fewer bytes stay in one process, as PostgreSQL decides scan by scan. A statement none of whose
 * scans is that large gets no workers at all, and keeps the article's recursive CTE over the
 * blocks (unrolled blocks only serve workers). With one core nothing is saved: no workers. `workers`
 * as a number assumes the costs of assumedCosts (10 ms, a core each). Examples on GPT-2 124M, 2
 * workers at 10 ms on 3 cores: with pgvector a step of one generation gives workers only to the
 * output head (50,257 rows: 23 ms of products), a prefill of 32 positions to every matrix of
 * 3.1 MB or more; 1 worker at 40 ms on 2 cores: none to a step (its head's 23 ms save 12), a
 * prefill's mlp matrices from 57 positions (mlp c_fc: 1.4 ms a position), the head only where
 * 4 or more sequences get logits (a batch, score).
 *
 * @example
 * parallelPlan(model, 2, 1);  // { workers: 2, minScanBytes: 100000000, shape: 'recursive' } for 124M with vector
 * parallelPlan(model, await workersOption(db), 32);
 */
export function parallelPlan(model: ModelShape & { vocab_size: number }, workers: WorkerCosts | number, positions: number, outputs = positions): ParallelPlan {
  const { count, startMs, speedup } = typeof workers === 'number' ? assumedCosts(workers) : workers;
  if (count <= 0 || speedup <= 1 || !Number.isFinite(startMs)) return SERIAL;
  const kernel = kernelNamed(model.kernel);
  const breakEvenNs = startMs * 1e6 * (speedup / (speedup - 1));
  const minScanBytes = (products: number) => Math.ceil((breakEvenNs * kernel.bytesPerValue) / (Math.max(1, products) * kernel.nanosecondsPerValue));
  const largestBlockScan = 4 * model.n_embd * model.n_embd * kernel.bytesPerValue; // mlp c_fc's and c_proj's
  const headScan = model.vocab_size * model.n_embd * kernel.bytesPerValue;
  if (largestBlockScan >= minScanBytes(positions)) return { workers: count, minScanBytes: minScanBytes(positions), shape: 'unrolled' };
  if (headScan >= minScanBytes(outputs)) return { workers: count, minScanBytes: minScanBytes(outputs), shape: 'recursive' };
  return SERIAL;
}

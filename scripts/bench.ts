// Benchmark: a full-size GPT-2 (random weights from the generator, 124M by default) on every
// driver × kernel × engine available, on a server with and without parallel workers, and on one
// server against a coordinator with shards, printed as markdown tables for the README.
//
//   npx tsx scripts/bench.ts [--size gpt2|gpt2-medium|gpt2-large|gpt2-xl] [--checkpoint DIR] [--server URL | --cluster]
//                            [--shared-buffers 4GB] [--only pglite|postgres] [--kernels vector,array] [--workers 0,default]
//                            [--tokens N] [--contexts 16,512] [--recompute full|estimate|none]
//                            [--tables single,sampling,concurrency,http,shards] [--concurrency 1,4,8] [--shards N]
//
// Defaults: the checkpoint is generated into $TMPDIR/gpt2sql-bench/SIZE if missing; the server is
// BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres (skipped if unreachable), or
// with --cluster a PostgreSQL 15 cluster made for the run (root, Debian's pg_createcluster: see
// scripts/bench/clusters.ts) with shared_buffers --shared-buffers, enough to keep the model's
// weights in memory as a server that serves it would, and removed after;
// --workers 0,default measures the server without parallel workers and with its default
// (max_parallel_workers_per_gather); PGlite has none. --tables concurrency measures only the
// aggregate tokens per second of 1, 4 and 8 generations at once (the HTTP server's scheduler:
// one statement a step for all of them), with each number of workers of --workers. --tables shards (only
// when asked for; the server must be reachable) compares, with the cube kernel, without parallel
// workers and with the server's default, the server alone (a database gpt2sql_bench_single) and a coordinator (a database
// gpt2sql_bench_coordinator on the server) with --shards N (default 2) shards: local PostgreSQL 15
// clusters gpt2sql_shard_PORT made for the run with the server's settings and removed after, also
// on Ctrl-C (run as root, with Debian's pg_createcluster; see scripts/bench/clusters.ts):
//   npx tsx scripts/bench.ts --tables shards --shards 2
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { makeCheckpoint, PRESETS } from '../src/checkpoint/make-checkpoint.ts';
import { openCheckpoint } from '../src/checkpoint/open-checkpoint.ts';
import type { Checkpoint } from '../src/checkpoint/types.ts';
import type { ModelRow } from '../src/db/catalog-tables.ts';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { workersOption } from '../src/engine/workers.ts';
import { kernel, KERNEL_NAMES } from '../src/sql/kernels/index.ts';
import { parseCommandLine } from './command-line.ts';
import { createClusters, removeClusters, BENCH_SETTINGS, type Cluster } from './bench/clusters.ts';
import { modelBytes, timeConcurrent, timeGeneration, timeHttpConcurrent, timeKernelFloor, timeLoad, timePrefill, timeStepAtContext, type BenchSampling } from './bench/measure.ts';
import { benchShards, type ShardsRow } from './bench/shards.ts';

const { values: args } = parseCommandLine(import.meta.url, {
  options: {
    size: { type: 'string', default: 'gpt2' },
    checkpoint: { type: 'string' },
    workers: { type: 'string', default: '0,default' },
    contexts: { type: 'string', default: '16,512' },
    server: { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    only: { type: 'string' },
    kernels: { type: 'string' },
    tokens: { type: 'string', default: '32' },
    recompute: { type: 'string', default: 'estimate' },
    tables: { type: 'string', default: 'single,sampling,concurrency,http' },
    cluster: { type: 'boolean', default: false },
    'shared-buffers': { type: 'string', default: '4GB' },
    concurrency: { type: 'string', default: '1,4,8' },
    shards: { type: 'string', default: '2' },
  },
});

if (!['full', 'estimate', 'none'].includes(args.recompute!)) throw new Error(`--recompute must be full, estimate or none, not "${args.recompute}"`);
if (!(args.size! in PRESETS)) throw new Error(`--size must be one of ${Object.keys(PRESETS).join(', ')}, not "${args.size}"`);
const contexts = args.contexts ? args.contexts.split(',').map(Number) : [];
const tables = new Set(args.tables!.split(','));
const TABLES = ['single', 'sampling', 'concurrency', 'http', 'shards'];
const unknownTables = [...tables].filter((t) => !TABLES.includes(t));
if (unknownTables.length) throw new Error(`--tables takes ${TABLES.join(', ')}, not "${unknownTables.join(',')}"`);
const shardCount = Number(args.shards);
if (!Number.isInteger(shardCount) || shardCount < 1) throw new Error(`--shards must be an integer >= 1, not "${args.shards}"`);
const concurrencies = args.concurrency!.split(',').map(Number);
/** The concurrency table's rows, filled beside the main table's; and the sampling table's, and the HTTP API's. */
const concurrencyRows: string[][] = [];
const samplingRows: string[][] = [];
const httpRows: string[][] = [];
/** The server's version and settings, for the tables' caption. */
let serverCaption = '';

const log = (text: string) => process.stderr.write(`${text}\n`);
const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
let peakRss = 0;
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200).unref();

async function checkpointDir(): Promise<string> {
  if (args.checkpoint) return args.checkpoint;
  const dir = join(tmpdir(), 'gpt2sql-bench', args.size!);
  if (!existsSync(join(dir, 'model.safetensors'))) {
    log(`generating a full-size ${args.size} checkpoint in ${dir}`);
    await makeCheckpoint(dir, { preset: args.size as keyof typeof PRESETS, seed: 1 });
  }
  return dir;
}

interface Row {
  driver: string;
  kernel: string;
  engine: string;
  workers: string;
  cells: string[];
}

/** The workers to measure on this database: --workers, `default` being the server's own; PGlite has none. */
async function workersToMeasure(db: Database): Promise<Array<{ count: number; label: string }>> {
  if (!(await db.parallelLimits())) return [{ count: 0, label: '–' }];
  const byDefault = (await workersOption(db)).count;
  const list = args.workers!.split(',').map((w) => (w === 'default' ? { count: byDefault, label: `${byDefault} (default)` } : { count: Number(w), label: w }));
  return list.filter((w, i) => list.findIndex((other) => other.count === w.count) === i);
}

/**
 * The CLI's peak resident memory (max RSS, by /usr/bin/time) for `complete` of 4 new tokens on
 * the model: what a user's process takes, PGlite included when the database is embedded.
 */
function cliPeakRss(target: string, model: string, workers: number | undefined): string {
  const command = ['-f', '%M', process.execPath, 'src/cli/bin.mjs', 'complete', 'Happy New Year! I wish you', '-n', '4', '--db', target, '--model', model];
  if (workers !== undefined) command.push('--workers', String(workers));
  const run = spawnSync('/usr/bin/time', command, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const lines = (run.stderr ?? '').trim().split('\n');
  if (run.status === 0) return `${fmt(Number(lines.at(-1)) / 1024, 0)} MB`;
  log(`the CLI's memory could not be measured: ${lines.slice(-3).join(' ')}`);
  return 'n/a';
}

/**
 * Every measurement for one driver and kernel; the recompute engine gets the figures it can.
 * `reopen` closes and opens the database again after the load, as the CLI does between commands
 * (PGlite sizes its buffer cache to the database's size when it opens).
 */
async function benchKernel(opened: Database, reopen: () => Promise<Database>, driver: string, target: string, checkpoint: Checkpoint, kernelName: string): Promise<Row[]> {
  const tokens = Number(args.tokens);
  const name = `bench_${kernelName}`;
  log(`${driver}/${kernelName}: loading`);
  const { model, seconds: load } = await timeLoad(opened, checkpoint, name, kernelName);
  let db = await reopen();
  const size = (await modelBytes(db, model)) / 1024 ** 2;
  if (tables.has('concurrency')) await benchConcurrency(db, model, driver, kernelName);
  if (tables.has('sampling')) await benchSampling(db, model, driver, kernelName);
  if (tables.has('http')) {
    await db.close();
    await benchHttp(target, name, driver, kernelName);
    db = await reopen();
  }
  const rows: Row[] = [];
  if (tables.has('single')) log(`${driver}/${kernelName}: kernel floor`);
  const floor = tables.has('single') ? await timeKernelFloor(db, model) : NaN;
  for (const workers of tables.has('single') ? await workersToMeasure(db) : []) {
    const label = `${driver}/${kernelName}/${workers.count} workers`;
    log(`${label}: prefill ${tokens} + ${tokens} tokens`);
    peakRss = process.memoryUsage().rss;
    const prefill = await timePrefill(db, model, tokens, 'incremental', workers.count);
    const generation = await timeGeneration(db, model, tokens, tokens, 'incremental', workers.count);
    const rss = `${fmt(peakRss / 1024 ** 2, 0)} MB`;
    log(`${label}: steps at context ${contexts.join(' and ') || '(none)'}`);
    const atContext = [];
    for (const context of [16, 512]) atContext.push(contexts.includes(context) ? fmt(await timeStepAtContext(db, model, context, 3, workers.count)) : 'n/a');
    log(`${label}: the CLI's memory`);
    await db.close();
    const cliRss = cliPeakRss(target, name, driver === 'pglite' ? undefined : workers.count);
    db = await reopen();
    const first = rows.length === 0;
    rows.push({
      driver, kernel: kernelName, engine: 'incremental', workers: workers.label,
      cells: [first ? fmt(load, 1) : '', first ? `${fmt(size, 0)} MB` : '', fmt(prefill), fmt(generation.perToken), ...atContext,
        first ? fmt(floor) : '', `${fmt(generation.perToken / floor)}×`, fmt(generation.total, 1), rss, cliRss],
    });
  }
  if (args.recompute !== 'none' && tables.has('single')) {
    log(`${driver}/${kernelName}: recompute (${args.recompute})`);
    const recompute = await benchRecompute(db, model, tokens);
    rows.push({ driver, kernel: kernelName, engine: 'recompute', workers: rows[0].workers, cells: ['', '', fmt(recompute.prefill), recompute.perToken, '', '', '', '', recompute.total, '', ''] });
  }
  await db.exec(`DROP SCHEMA ${model.schema_name} CASCADE`);
  await db.query('DELETE FROM gpt2sql.models WHERE name = $1', [name]);
  return rows;
}

/**
 * Aggregate tokens per second with 1, 4, 8 (--concurrency) generations at once, each 16 new
 * tokens after an 8-token prompt, with each number of workers of --workers (on a server; the
 * default, `0,default`, is one run on 2 cores, where the default is none); the speed-up is
 * against the first row (1 generation) with the same workers.
 */
async function benchConcurrency(db: Database, model: ModelRow, driver: string, kernelName: string): Promise<void> {
  for (const workers of await workersToMeasure(db)) {
    let single = NaN;
    for (const concurrency of concurrencies) {
      log(`${driver}/${kernelName}/${workers.count} workers: ${concurrency} generations at once`);
      const run = await timeConcurrent(db, model, concurrency, 8, 16, workers.count);
      if (concurrency === concurrencies[0]) single = run.perSecond / concurrency;
      concurrencyRows.push([driver, kernelName, workers.label, String(concurrency), String(run.tokens), fmt(run.total, 1),
        fmt(run.perSecond, 3), fmt(run.steadyPerSecond, 3), `${fmt(run.perSecond / single, 2)}×`]);
    }
  }
}

/** What each sampled row of the sampling table chooses with; the first, greedy, is what the others are compared with. */
const SAMPLINGS: Array<[string, BenchSampling]> = [
  ['greedy', { temperature: 0 }],
  ['temperature 0.8, top-k 40', { temperature: 0.8, topK: 40, seed: 1 }],
  ['temperature 0.8, top-p 0.95', { temperature: 0.8, topP: 0.95, seed: 1 }],
  ['temperature 0.8 alone', { temperature: 0.8, seed: 1 }],
];

/**
 * Seconds per token with each way of choosing (SAMPLINGS), 16 new tokens after a 32-token
 * prompt, with the database's default workers: what sampling costs beside a greedy step.
 */
async function benchSampling(db: Database, model: ModelRow, driver: string, kernelName: string): Promise<void> {
  const workers = (await workersOption(db)).count;
  let greedy = NaN;
  for (const [label, sampling] of SAMPLINGS) {
    log(`${driver}/${kernelName}: ${label}`);
    const run = await timeGeneration(db, model, 32, 16, 'incremental', workers, sampling);
    if (sampling.temperature === 0) greedy = run.perToken;
    samplingRows.push([driver, kernelName, label, fmt(run.perToken, 3), `${fmt(run.perToken / greedy)}×`]);
  }
}

/**
 * Tokens per second through the HTTP API: `gpt2sql serve` on the database (as a user starts it),
 * 1 and 8 (--concurrency's first and last) requests to /v1/completions at once, each 16 new tokens
 * after its own 8-token prompt, sampled as the concurrency table's; the speed-up is against one.
 */
async function benchHttp(target: string, model: string, driver: string, kernelName: string): Promise<void> {
  const serve = spawn(process.execPath, ['src/cli/bin.mjs', 'serve', '--http', '0', '--port', '0', '--db', target], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve.stdout.on('data', (chunk) => {
        out += chunk;
        const ready = /API on (http:\/\/[^/\s]+)\/v1/.exec(out);
        if (ready && /Ctrl-C/.test(out)) resolve(ready[1]);
      });
      serve.on('exit', (code) => reject(new Error(`gpt2sql serve exited with ${code}`)));
    });
    let single = NaN;
    for (const concurrency of [concurrencies[0], concurrencies.at(-1)!]) {
      log(`${driver}/${kernelName}: ${concurrency} requests at once to /v1/completions`);
      const run = await timeHttpConcurrent(url, model, concurrency, 8, 16);
      if (Number.isNaN(single)) single = run.perSecond / concurrency;
      httpRows.push([driver, kernelName, String(concurrency), String(run.tokens), fmt(run.total, 1), fmt(run.perSecond, 3), `${fmt(run.perSecond / single, 2)}×`]);
    }
  } finally {
    serve.kill('SIGTERM');
    await new Promise((resolve) => (serve.exitCode === null ? serve.on('exit', resolve) : resolve(null)));
  }
}

/**
 * The article's engine over `tokens` + `tokens`: `--recompute full` generates them all (every step
 * a full pass over 32, 33, … 63 positions; about 10 minutes on PGlite); `estimate` measures the
 * passes at the first and the last length and multiplies their mean by the number of tokens
 * (each pass grows linearly with the positions it recomputes), marked "est." in the table.
 */
async function benchRecompute(db: Database, model: ModelRow, tokens: number): Promise<{ prefill: number; perToken: string; total: string }> {
  const prefill = await timePrefill(db, model, tokens, 'recompute');
  if (args.recompute === 'full') {
    const run = await timeGeneration(db, model, tokens, tokens, 'recompute');
    return { prefill, perToken: fmt(run.perToken), total: fmt(run.total, 1) };
  }
  const last = await timePrefill(db, model, 2 * tokens - 1, 'recompute');
  return { prefill, perToken: `${fmt((prefill + last) / 2)} (est.)`, total: `${fmt(((prefill + last) / 2) * tokens, 1)} (est.)` };
}

async function benchDriver(driver: 'pglite' | 'postgres', checkpoint: Checkpoint, server: string): Promise<Row[]> {
  const target = driver === 'pglite' ? mkdtempSync(join(tmpdir(), 'gpt2sql-bench-db-')) : server;
  let db: Database;
  try {
    db = await openDatabase({ db: target });
  } catch (error) {
    log(`skipping ${driver}: ${(error as Error).message}`);
    return [];
  }
  const reopen = async () => {
    await db.close().catch(() => {}); // closed already when the CLI was measured
    db = await openDatabase({ db: target });
    return db;
  };
  const rows: Row[] = [];
  try {
    if (driver === 'postgres') serverCaption = await describeServer(db);
    const available = await db.availableExtensions();
    const wanted = args.kernels ? args.kernels.split(',') : [...KERNEL_NAMES];
    for (const kernelName of wanted) {
      const needs = kernel(kernelName).extension;
      if (needs && !available.has(needs)) {
        log(`${driver}: no ${needs} extension, skipping the ${kernelName} kernel`);
        continue;
      }
      rows.push(...(await benchKernel(db, reopen, driver, target, checkpoint, kernelName)));
    }
  } finally {
    await db.close();
    if (driver === 'pglite') rmSync(target, { recursive: true, force: true });
  }
  return rows;
}

/** The server's version and the settings its speed depends on, for the tables' caption. */
async function describeServer(db: Database): Promise<string> {
  const names = ['shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit'];
  const [row] = await db.query<Record<string, string>>(`SELECT split_part(version(), ' ', 2) AS version, ${names.map((n) => `current_setting('${n}') AS ${n}`).join(', ')}`);
  return `PostgreSQL ${row.version}, ${names.map((n) => `${n} ${row[n]}`).join(', ')}`;
}

/**
 * The server to measure: --server, or with --cluster a cluster made for the run with the
 * benchmark's settings and --shared-buffers (removed after, also on Ctrl-C).
 */
async function withServer<T>(fn: (url: string) => Promise<T>): Promise<T> {
  if (!args.cluster) return fn(args.server!);
  const [cluster]: Cluster[] = await createClusters(1, log, { ...BENCH_SETTINGS, shared_buffers: args['shared-buffers']! });
  try {
    return await fn(cluster.url);
  } finally {
    await removeClusters([cluster]);
  }
}

function table(rows: Row[], tokens: number): string {
  const header = ['driver', 'kernel', 'engine', 'workers', 'load s', 'model size', `prefill ${tokens} s`, 's/token', 's/token @16', 's/token @512', 'kernel floor s', '× floor', `${tokens}+${tokens} total s`, 'bench peak RSS', 'CLI peak RSS'];
  const lines = [header, header.map(() => '---'), ...rows.map((r) => [r.driver, r.kernel, r.engine, r.workers, ...r.cells])];
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** The shards table and, under it, what its two configurations were. */
function shardsTable({ rows, settings }: { rows: ShardsRow[]; settings: Record<string, string> }, tokens: number): string {
  const header = ['configuration', 'workers', 'load s', 'model size', `prefill ${tokens} s`, 's/token', `${tokens}+${tokens} total s`];
  const size = (bytes: number[]) => `${bytes.map((b) => fmt(b / 1024 ** 2, 0)).join(' + ')} MB`;
  const body = rows.map((r) => [r.configuration, r.workers === 0 ? '0' : `${r.workers} (default)`, Number.isNaN(r.load) ? '' : fmt(r.load, 1),
    r.bytes.length ? size(r.bytes) : '', fmt(r.prefill), fmt(r.perToken), fmt(r.total, 1)]);
  const lines = [header, header.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`);
  return `${lines.join('\n')}\n\nKernel cube. 1 server: a database of its own on the server. Coordinator: a database on the same server; ` +
    `its shards are PostgreSQL 15 clusters on this machine beside it (the same cores, memory and disk), each with the server's ` +
    `${Object.entries(settings).map(([name, value]) => `${name} ${value}`).join(', ')}. ` +
    'Model size: the coordinator\'s part, then each shard\'s. Workers: none, and the server\'s default; on the coordinator they serve only its own statements.';
}

const dir = await checkpointDir();
const checkpoint = await openCheckpoint(dir);
const tokens = Number(args.tokens);
const rows: Row[] = [];
const shards = await withServer(async (server) => {
  for (const driver of ['pglite', 'postgres'] as const) {
    if (args.only && args.only !== driver) continue;
    if (['single', 'sampling', 'concurrency', 'http'].some((t) => tables.has(t))) rows.push(...(await benchDriver(driver, checkpoint, server)));
  }
  return tables.has('shards') ? benchShards(checkpoint, { server, shards: shardCount, tokens, log }) : undefined;
});
await checkpoint.close();
const sections = [`${args.size} shape (random weights, ${checkpoint.config.n_layer} layers, ${checkpoint.config.n_embd} wide), ${new Date().toISOString().slice(0, 10)}, ` +
  `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${fmt(totalmem() / 1024 ** 3, 0)} GiB, Node ${process.version}`];
if (serverCaption) sections.push(`The server: ${serverCaption}.`);
if (rows.length) {
  sections.push(table(rows, tokens), 'Kernel floor: the bare scans computing every dot product one token needs (each matrix and the output head ' +
    'against a plain activation, nothing else: scripts/bench/measure.ts). × floor: s/token over it. ' +
    'Bench peak RSS: the benchmark process while it generates (PGlite runs inside it, a server does not). ' +
    'CLI peak RSS: `gpt2sql complete -n 4` on the model, start to end.');
}
if (samplingRows.length) {
  const header = ['driver', 'kernel', 'choosing', 's/token', '× greedy'];
  sections.push([header, header.map(() => '---'), ...samplingRows].map((cells) => `| ${cells.join(' | ')} |`).join('\n'));
  sections.push('16 new tokens after a 32-token prompt, the database\'s default workers; × greedy: s/token over the greedy row\'s.');
}
if (httpRows.length) {
  const header = ['driver', 'kernel', 'requests at once', 'tokens', 'wall s', 'tokens/s', 'speed-up'];
  sections.push([header, header.map(() => '---'), ...httpRows].map((cells) => `| ${cells.join(' | ')} |`).join('\n'));
  sections.push('`gpt2sql serve` on the database, requests to /v1/completions sent together: each 16 new tokens after its own 8-token prompt, ' +
    'temperature 0.8, top-k 40, a seed each. tokens/s: every token over the wall time; speed-up against one request alone.');
}
if (concurrencyRows.length) {
  const header = ['driver', 'kernel', 'workers', 'generations at once', 'tokens', 'wall s', 'tokens/s', 'tokens/s (all running)', 'speed-up'];
  sections.push([header, header.map(() => '---'), ...concurrencyRows].map((cells) => `| ${cells.join(' | ')} |`).join('\n'));
  sections.push('Each generation: 16 new tokens after its own 8-token prompt, sampled (temperature 0.8, top-k 40, a seed each). ' +
    'tokens/s: every token over the wall time, prefills included; all running: from the moment the last generation got its first token. ' +
    'Speed-up: tokens/s against one generation alone (per generation: the first row\'s tokens/s divided by its count).');
}
if (shards) sections.push(shardsTable(shards, tokens));
console.log(sections.join('\n\n'));
process.exit(0);

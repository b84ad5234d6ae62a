// Benchmark: full-size GPT-2 124M (random weights from the generator) on every driver × kernel ×
// engine available, printed as a markdown table for the README.
//
//   npx tsx scripts/bench.ts [--checkpoint DIR] [--server URL] [--only pglite|postgres] [--kernels vector,array]
//                            [--tokens N] [--recompute full|estimate]
//
// Defaults: the checkpoint is generated into $TMPDIR/gpt2sql-bench/gpt2 if missing; the server is
// BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres (skipped if unreachable).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCheckpoint } from '../src/checkpoint/make-checkpoint.ts';
import { openCheckpoint } from '../src/checkpoint/open-checkpoint.ts';
import type { Checkpoint } from '../src/checkpoint/types.ts';
import type { ModelRow } from '../src/db/catalog-tables.ts';
import type { Database } from '../src/db/database.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { KERNEL_NAMES } from '../src/sql/kernels.ts';
import { modelBytes, timeGeneration, timeKernelFloor, timeLoad, timePrefill, timeStepAtContext } from './bench/measure.ts';

const { values: args } = parseArgs({
  options: {
    checkpoint: { type: 'string' },
    server: { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    only: { type: 'string' },
    kernels: { type: 'string' },
    tokens: { type: 'string', default: '32' },
    recompute: { type: 'string', default: 'estimate' },
  },
});

if (!['full', 'estimate'].includes(args.recompute!)) throw new Error(`--recompute must be full or estimate, not "${args.recompute}"`);

const log = (text: string) => process.stderr.write(`${text}\n`);
const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
let peakRss = 0;
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200).unref();

async function checkpointDir(): Promise<string> {
  if (args.checkpoint) return args.checkpoint;
  const dir = join(tmpdir(), 'gpt2sql-bench', 'gpt2');
  if (!existsSync(join(dir, 'model.safetensors'))) {
    log(`generating a full-size GPT-2 124M checkpoint in ${dir}`);
    await makeCheckpoint(dir, { preset: 'gpt2', seed: 1 });
  }
  return dir;
}

interface Row {
  driver: string;
  kernel: string;
  engine: string;
  cells: string[];
}

/**
 * Every measurement for one driver and kernel; the recompute engine gets the figures it can.
 * `reopen` closes and opens the database again after the load, as the CLI does between commands
 * (PGlite sizes its buffer cache to the database's size when it opens).
 */
async function benchKernel(opened: Database, reopen: () => Promise<Database>, driver: string, checkpoint: Checkpoint, kernelName: string): Promise<Row[]> {
  const tokens = Number(args.tokens);
  const name = `bench_${kernelName}`;
  log(`${driver}/${kernelName}: loading`);
  const { model, seconds: load } = await timeLoad(opened, checkpoint, name, kernelName);
  const db = await reopen();
  const size = (await modelBytes(db, model)) / 1024 ** 2;
  log(`${driver}/${kernelName}: kernel floor`);
  const floor = await timeKernelFloor(db, model);
  log(`${driver}/${kernelName}: prefill ${tokens} + ${tokens} tokens`);
  peakRss = process.memoryUsage().rss;
  const prefill = await timePrefill(db, model, tokens, 'incremental');
  const generation = await timeGeneration(db, model, tokens, tokens, 'incremental');
  const rss = `${fmt(peakRss / 1024 ** 2, 0)} MB`;
  log(`${driver}/${kernelName}: steps at context 16 and 512`);
  const at16 = await timeStepAtContext(db, model, 16);
  const at512 = await timeStepAtContext(db, model, 512);
  log(`${driver}/${kernelName}: recompute (${args.recompute})`);
  const recompute = await benchRecompute(db, model, tokens);
  const incrementalTotal = generation.total;
  const sizeCell = `${fmt(size, 0)} MB`;
  await db.exec(`DROP SCHEMA ${model.schema_name} CASCADE`);
  await db.query('DELETE FROM gpt2sql.models WHERE name = $1', [name]);
  return [
    { driver, kernel: kernelName, engine: 'incremental', cells: [fmt(load, 1), sizeCell, fmt(prefill), fmt(generation.perToken), fmt(at16), fmt(at512), fmt(floor), fmt(incrementalTotal, 1), rss] },
    { driver, kernel: kernelName, engine: 'recompute', cells: [fmt(load, 1), sizeCell, fmt(recompute.prefill), recompute.perToken, 'n/a', 'n/a', fmt(floor), recompute.total, ''] },
  ];
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

async function benchDriver(driver: 'pglite' | 'postgres', checkpoint: Checkpoint): Promise<Row[]> {
  const target = driver === 'pglite' ? mkdtempSync(join(tmpdir(), 'gpt2sql-bench-db-')) : args.server!;
  let db: Database;
  try {
    db = await openDatabase({ db: target });
  } catch (error) {
    log(`skipping ${driver}: ${(error as Error).message}`);
    return [];
  }
  const reopen = async () => {
    await db.close();
    db = await openDatabase({ db: target });
    return db;
  };
  const rows: Row[] = [];
  try {
    const available = await db.availableExtensions();
    const wanted = args.kernels ? args.kernels.split(',') : [...KERNEL_NAMES];
    for (const kernelName of wanted) {
      const needs = kernelName === 'vector' ? 'vector' : kernelName === 'cube' ? 'cube' : undefined;
      if (needs && !available.has(needs)) {
        log(`${driver}: no ${needs} extension, skipping the ${kernelName} kernel`);
        continue;
      }
      rows.push(...(await benchKernel(db, reopen, driver, checkpoint, kernelName)));
    }
  } finally {
    await db.close();
    if (driver === 'pglite') rmSync(target, { recursive: true, force: true });
  }
  return rows;
}

function table(rows: Row[], tokens: number): string {
  const header = ['driver', 'kernel', 'engine', 'load s', 'model size', `prefill ${tokens} s`, 's/token', 's/token @16', 's/token @512', 'kernel floor s', `${tokens}+${tokens} total s`, 'peak RSS while generating'];
  const lines = [header, header.map(() => '---'), ...rows.map((r) => [r.driver, r.kernel, r.engine, ...r.cells])];
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

const dir = await checkpointDir();
const checkpoint = await openCheckpoint(dir);
const rows: Row[] = [];
for (const driver of ['pglite', 'postgres'] as const) {
  if (args.only && args.only !== driver) continue;
  rows.push(...(await benchDriver(driver, checkpoint)));
}
await checkpoint.close();
const tokens = Number(args.tokens);
console.log(`GPT-2 124M (random weights), ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ` +
  `${fmt(totalmem() / 1024 ** 3, 0)} GiB, Node ${process.version}\n`);
console.log(table(rows, tokens));
console.log('\nPeak RSS is the benchmark process\'s own resident memory while it generates; PGlite runs inside it, a server does not.');
process.exit(0);

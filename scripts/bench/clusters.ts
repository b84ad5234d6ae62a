// Extra local PostgreSQL 15 clusters for a benchmark (the shards of scripts/bench/shards.ts),
// made and removed with Debian's postgresql-common tools: the benchmark machine runs them as root
// beside the main cluster, each on a free port of 127.0.0.1 with trust authentication.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';

const VERSION = '15';
/** Every benchmark cluster's name starts with this, then its port. */
export const CLUSTER_PREFIX = 'gpt2sql_shard_';
/** The contrib extensions a shard serves to the coordinator. */
const EXTENSIONS = ['cube', 'postgres_fdw'];

export interface Cluster {
  /** The shard's database, as the coordinator reaches it. */
  url: string;
  name: string;
  port: number;
}

/**
 * Settings for a cluster on a 24 GiB, 2-core machine when the caller gives none: room for a
 * 124M model's weights in shared buffers, and no autovacuum or JIT compiling in the middle of a
 * measurement.
 */
export const BENCH_SETTINGS: Record<string, string> = {
  shared_buffers: '1GB', effective_cache_size: '8GB', work_mem: '64MB', maintenance_work_mem: '512MB',
  max_wal_size: '4GB', autovacuum: 'off', jit: 'off',
};

/**
 * A cluster's keeper, a shell in a process group of its own (Ctrl-C does not reach it): it makes the
 * cluster, says `ready` on its output, and removes the cluster when a line comes on its input or
 * the input ends. The input ends when the benchmark's process does, however it ends: tsx kills a
 * child whose event loop is busy when Ctrl-C comes, before any handler of the child has run.
 *
 * --auth=trust is initdb's: pg_createcluster then keeps initdb's pg_hba.conf (trust on every line)
 * instead of writing peer and scram lines. start.conf manual: a cluster left behind does not start
 * at boot. The settings go at the end of postgresql.conf, each value quoted (pg_createcluster -o
 * and pg_conftool leave what looks like a number bare, and `listen_addresses = 127.0.0.1` stops
 * the server from starting).
 */
const KEEPER = `
set -e
exec 3>&1 1>&2
drop() {
  if [ -d "/etc/postgresql/${VERSION}/$NAME" ]; then
    pg_ctlcluster --skip-systemctl-redirect ${VERSION} "$NAME" stop 2>/dev/null || true
    pg_dropcluster --stop ${VERSION} "$NAME"
  fi
}
trap drop EXIT
pg_createcluster --quiet --start-conf=manual -p "$PORT" ${VERSION} "$NAME" -- --auth=trust >/dev/null
printf '\\n# gpt2sql scripts/bench/clusters.ts\\n%s\\n' "$SETTINGS" >> "/etc/postgresql/${VERSION}/$NAME/postgresql.conf"
pg_ctlcluster --skip-systemctl-redirect ${VERSION} "$NAME" start
psql -X -q -v ON_ERROR_STOP=1 -w -d "postgres://postgres@127.0.0.1:$PORT/postgres" -c 'CREATE DATABASE shard'
echo ready >&3
read -r line || true
trap - EXIT
drop
`;

interface Kept {
  cluster: Cluster;
  keeper: ChildProcessWithoutNullStreams;
  /** The keeper's exit code, and what it wrote on its error output. */
  exited: Promise<{ code: number | null; stderr: string }>;
}

/** The clusters this process made and has not removed yet, with their keepers. */
const live = new Map<string, Kept>();
/** Set by Ctrl-C or SIGTERM: no cluster is made after it. */
let interrupted = false;

/**
 * Makes `count` clusters, started, each with an empty database `shard` that can create cube and
 * postgres_fdw. Those left by an earlier run are listed with how to remove them. `settings` go into
 * each cluster's postgresql.conf (listen_addresses is always 127.0.0.1).
 *
 * @example
 * const clusters = await createClusters(2, console.error);
 * try { … clusters.map((c) => c.url) … } finally { await removeClusters(clusters); }
 */
export async function createClusters(count: number, log: (text: string) => void, settings = BENCH_SETTINGS): Promise<Cluster[]> {
  await warnLeftovers(log);
  removeOnSignals();
  const clusters: Cluster[] = [];
  try {
    for (let i = 0; i < count; i++) {
      if (interrupted) throw new Error('interrupted');
      const port = await freePort();
      const cluster = { url: `postgres://postgres@127.0.0.1:${port}/shard`, name: `${CLUSTER_PREFIX}${port}`, port };
      clusters.push(cluster);
      log(`creating cluster ${VERSION}/${cluster.name} on 127.0.0.1:${port}`);
      await createCluster(cluster, settings);
    }
  } catch (error) {
    await removeClusters(clusters).catch(() => {}); // the first error is the one to report
    throw interrupted ? new Error('interrupted while the benchmark\'s clusters were being made') : error;
  }
  return clusters;
}

/** Stops and deletes the clusters (data, configuration, log) that createClusters made. */
export async function removeClusters(clusters: readonly Cluster[]): Promise<void> {
  const kept = clusters.flatMap((cluster) => live.get(cluster.name) ?? []);
  for (const { cluster, keeper } of kept) {
    live.delete(cluster.name);
    keeper.stdin.end('remove\n');
  }
  const failed = [];
  for (const { cluster, exited } of kept) {
    const { code, stderr } = await exited;
    if (code !== 0) failed.push(`${cluster.name} (${lastLines(stderr) || `exit status ${code}`})`);
  }
  if (failed.length) {
    throw new Error(`could not remove the cluster(s) ${failed.join(', ')}; see pg_lsclusters, then pg_dropcluster --stop ${VERSION} NAME`);
  }
}

/**
 * A server's settings as its configuration makes them (`names` of pg_settings), read in a session
 * of psql's: gpt2sql's own connections change some of them (jit).
 *
 * @example
 * await serverSettings('postgres://postgres@127.0.0.1:5432/postgres', ['shared_buffers']); // { shared_buffers: '128MB' }
 */
export async function serverSettings(url: string, names: readonly string[]): Promise<Record<string, string>> {
  const list = names.map((name) => `'${name.replaceAll("'", "''")}'`).join(', ');
  const lines = (await psql(url, `SELECT name, current_setting(name) FROM pg_settings WHERE name IN (${list}) ORDER BY name`)).split('\n');
  return Object.fromEntries(lines.filter(Boolean).map((line) => line.split('|')));
}

async function createCluster(cluster: Cluster, settings: Record<string, string>): Promise<void> {
  const lines = Object.entries({ ...settings, listen_addresses: '127.0.0.1' }).map(([name, value]) => `${name} = '${value.replaceAll("'", "''")}'`);
  const env = { ...process.env, PGOPTIONS: '', NAME: cluster.name, PORT: String(cluster.port), SETTINGS: lines.join('\n') };
  const keeper = spawn('sh', ['-c', KEEPER], { detached: true, env, stdio: 'pipe' });
  let stderr = '';
  keeper.stderr.on('data', (chunk) => (stderr += chunk));
  keeper.stdin.on('error', () => {}); // a keeper that is gone already reports through its exit code
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    keeper.once('error', (error) => resolve({ code: null, stderr: error.message }));
    keeper.once('close', (code) => resolve({ code, stderr }));
  });
  live.set(cluster.name, { cluster, keeper, exited });
  const ready = await new Promise<boolean>((resolve) => {
    keeper.stdout.on('data', (chunk) => String(chunk).includes('ready') && resolve(true));
    void exited.then(() => resolve(false));
  });
  if (!ready) throw new Error(`could not make cluster ${cluster.name}: ${lastLines((await exited).stderr) || 'its keeper ended'}`);
  const available = (await psql(cluster.url, 'SELECT name FROM pg_available_extensions')).split('\n');
  const missing = EXTENSIONS.filter((name) => !available.includes(name));
  if (missing.length) throw new Error(`cluster ${cluster.name} has no ${missing.join(', ')} extension; install postgresql-contrib for PostgreSQL ${VERSION}`);
}

/** A port the OS says is free on 127.0.0.1 that no cluster is configured for. */
async function freePort(): Promise<number> {
  const taken = new Set((await listClusters()).map((c) => Number(c.port)));
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer().once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (!taken.has(port)) return port;
  }
}

/** Clusters of this machine as pg_lsclusters sees them. */
async function listClusters(): Promise<Array<{ cluster: string; port: string; running: number; version: number }>> {
  return JSON.parse((await run('pg_lsclusters', ['--json'])) || '[]');
}

async function warnLeftovers(log: (text: string) => void): Promise<void> {
  const leftovers = (await listClusters()).filter((c) => c.cluster.startsWith(CLUSTER_PREFIX) && !live.has(c.cluster));
  for (const c of leftovers) {
    log(`cluster ${c.version}/${c.cluster} (port ${c.port}, ${c.running ? 'running' : 'stopped'}) is left from an earlier run; ` +
      `remove it with: pg_dropcluster --stop ${c.version} ${c.cluster}`);
  }
}

let handlersInstalled = false;

/**
 * On Ctrl-C or SIGTERM: removes the live clusters, waits for it, and raises the signal again. Should
 * the process be killed meanwhile, the keepers still remove them.
 */
function removeOnSignals(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, async () => {
      interrupted = true;
      if (live.size) process.stderr.write(`${signal}: removing the benchmark's cluster(s) ${[...live.keys()].join(', ')}\n`);
      await removeClusters([...live.values()].map((kept) => kept.cluster)).catch((error: Error) => process.stderr.write(`${error.message}\n`));
      process.kill(process.pid, signal);
    });
  }
}

/** One statement's rows through psql, one a line, columns separated by |; in a session with the server's own settings (no PGOPTIONS). */
async function psql(url: string, sql: string): Promise<string> {
  return run('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-w', '-d', url, '-c', sql]);
}

/** Runs a command and returns its output; throws with its last error lines on failure. */
async function run(command: string, args: readonly string[]): Promise<string> {
  const child = spawn(command, args, { env: { ...process.env, PGOPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const status = await new Promise<number | string>((resolve) => {
    child.once('error', (error) => resolve(error.message));
    child.once('close', (code, signal) => resolve(code ?? `signal ${signal}`));
  });
  if (status === 0) return stdout.trim();
  throw new Error(`${command} ${args.join(' ')} failed: ${lastLines(stderr) || status}`);
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' ');
}

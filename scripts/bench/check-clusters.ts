// Checks scripts/bench/clusters.ts on this machine: makes two clusters, reaches each with psql
// over 127.0.0.1 without a password, has the first query the second through postgres_fdw (as a
// coordinator does its shards), and removes both; exits non-zero if anything failed or is left.
//
//   npx tsx scripts/bench/check-clusters.ts
import { spawnSync } from 'node:child_process';
import { createClusters, removeClusters, type Cluster } from './clusters.ts';

const log = (text: string) => process.stderr.write(`${text}\n`);

function psql(cluster: Cluster, sql: string): string {
  const run = spawnSync('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-w', cluster.url, '-c', sql], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`psql ${cluster.url}: ${run.stderr.trim()}`);
  return run.stdout.trim();
}

const clusters = await createClusters(2, log);
try {
  for (const cluster of clusters) {
    log(`${cluster.name}: ${psql(cluster, "SELECT current_setting('port') || ' ' || current_setting('shared_buffers') || ' ssl ' || current_setting('ssl') || ' jit ' || current_setting('jit')")}`);
  }
  const [first, second] = clusters;
  psql(second, 'CREATE EXTENSION cube; CREATE TABLE w AS SELECT i, cube(array[i, -i]::float8[]) AS c FROM generate_series(1, 3) AS i');
  const sum = psql(first, `
    CREATE EXTENSION cube; CREATE EXTENSION postgres_fdw;
    CREATE SERVER other FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '${second.port}', dbname 'shard');
    CREATE USER MAPPING FOR postgres SERVER other OPTIONS (user 'postgres');
    CREATE FOREIGN TABLE w (i int, c cube) SERVER other;
    SELECT sum(cube_ll_coord(c, 1)) FROM w`);
  if (sum !== '6') throw new Error(`the foreign table's sum is ${sum}, not 6`);
  log(`${first.name} reads ${second.name} through postgres_fdw: ok`);
} finally {
  await removeClusters(clusters);
}
const listed = spawnSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' }).stdout.split('\n');
const left = listed.filter((line) => clusters.some((cluster) => line.includes(cluster.name)));
if (left.length) throw new Error(`clusters left behind:\n${left.join('\n')}`);
log('both clusters removed: ok');

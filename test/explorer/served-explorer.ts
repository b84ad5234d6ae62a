/**
 * `gpt2sql serve --http 0` on a test database with a tiny model, as a user starts it: the page and
 * its endpoints over HTTP, psql for the trace's tables (through serve itself on the embedded
 * database, which one process holds at a time).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelRow } from '../../src/db/catalog-tables.ts';
import type { Gpt2Weights } from '../../src/reference/weights.ts';
import { startCli } from '../helpers/cli-process.ts';
import type { TestDatabase } from '../helpers/databases.ts';
import { psql, type PsqlConnection } from '../helpers/psql.ts';
import { CONFIGS, dropModel, fullVocabulary, loadTestModel } from '../engine/forward-models.ts';

/** Where the tests save their screenshots (not committed; docs/explorer.png is one of them, copied). */
export const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');

export interface ServedExplorer {
  /** `http://127.0.0.1:PORT`: the page is at `/`. */
  url: string;
  model: ModelRow;
  weights: Gpt2Weights;
  /** <|endoftext|>'s id in the checkpoint's vocabulary. */
  eotId: number;
  /** Rows of a query, through psql. */
  query(sql: string): Promise<string[][]>;
  stop(): Promise<void>;
}

const PAGE = /explorer page on (http:\/\/127\.0\.0\.1:\d+)\//;

/** Loads the tiny preset (2 blocks, 2 heads, 32 wide) and starts `gpt2sql serve` on `target`. */
export async function serveExplorer(target: TestDatabase): Promise<ServedExplorer> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const db = await target.open();
  const { model, weights, eotId } = await loadTestModel(db, fullVocabulary(CONFIGS['2 blocks, 2 heads, 32 wide'])).finally(() => db.close());
  const run = startCli(['serve', '--http', '0', '--port', '0', '--db', target.db]);
  await run.until((stdout) => /Ctrl-C/.test(stdout));
  const url = PAGE.exec(run.stdout)![1];
  const wire = /connect with: +psql -h 127\.0\.0\.1 -p (\d+) -U postgres postgres/.exec(run.stdout);
  const connection: PsqlConnection = wire ? ['-h', '127.0.0.1', '-p', wire[1], '-U', 'postgres', '-d', 'postgres'] : ['-d', target.db];
  return {
    url, model, weights, eotId,
    query: (sql) => psql(connection, sql),
    async stop() {
      run.kill('SIGTERM');
      await run.ended;
      const after = await target.open();
      try {
        const traces = await after.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, 'trace_explore_')");
        for (const { nspname } of traces) {
          const [info] = await after.query<{ model: string }>(`SELECT model FROM "${nspname}".info`).catch(() => []);
          if (info?.model === model.name) await after.exec(`DROP SCHEMA "${nspname}" CASCADE`);
        }
        await dropModel(after, model);
      } finally {
        await after.close();
      }
    },
  };
}

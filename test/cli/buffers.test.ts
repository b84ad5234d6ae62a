/**
 * The notice a command prints when the server's shared_buffers cannot keep the model's tables in
 * memory (src/cli/option-flags.ts: buffersNotice), against the sizes and the setting PostgreSQL
 * itself reports. The test server has PostgreSQL's stock 128 MB; a model with GPT-2's whole
 * vocabulary 160 wide has a wte of more than 30 MB, which needs four times that.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open } from '../../src/api/gpt2sql.ts';
import { bufferNeed } from '../../src/db/database.ts';
import { CONFIGS, dropModel, GPT2_VOCAB, loadTestModel, type LoadedModel } from '../engine/forward-models.ts';
import { runCli, startCli } from '../helpers/cli-process.ts';
import { testDatabases } from '../helpers/databases.ts';

const MB = 1024 ** 2;

describe.each(testDatabases())('shared_buffers and the model on $driver', (target) => {
  let wide: LoadedModel;
  let tiny: LoadedModel;
  /** What PostgreSQL says: its shared_buffers, and the model's tables (null on PGlite, which sizes its own). */
  let server: { buffers: number; total: number; largest: number } | null;

  beforeAll(async () => {
    const db = await target.open();
    wide = await loadTestModel(db, { n_layer: 1, n_head: 2, n_embd: 160, vocab_size: GPT2_VOCAB, seed: 21 });
    tiny = await loadTestModel(db, CONFIGS['1 block, 1 head, 16 wide']);
    const [row] = await db.query<{ buffers: string; total: string; largest: string }>(`
      SELECT current_setting('shared_buffers') AS buffers,
             (SELECT sum(pg_relation_size(c.oid, 'main')) FROM pg_class AS c WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r') AS total,
             (SELECT pg_relation_size('${wide.model.schema_name}.wte')) AS largest`, [wide.model.schema_name]);
    server = target.driver === 'postgres' ? { buffers: unitBytes(row.buffers), total: Number(row.total), largest: Number(row.largest) } : null;
    await db.close();
  });
  afterAll(async () => {
    const db = await target.open();
    await dropModel(db, wide.model);
    await dropModel(db, tiny.model);
    await db.close();
  });

  it('notices, once, a server whose shared_buffers cannot keep the model, with the sizes and a shared_buffers that would', async () => {
    const run = await runCli(['next', 'Hello', '--model', wide.model.name, '--db', target.db]);
    expect(run.code).toBe(0);
    const notices = run.stderr.split('\n').filter((line) => line.includes('shared_buffers'));
    if (!server) {
      expect(run.stderr).toBe(''); // the embedded database sized its buffers to the model
      return;
    }
    expect(server.buffers).toBeLessThan(bufferNeed(server.total, server.largest)); // the stock 128 MB: the case to see
    expect(notices).toHaveLength(1);
    const [, buffers, total, largest, suggested, unit] = /shared_buffers \((\d+) MB\) cannot keep \S+ tables \((\d+) MB, the largest (\d+) MB\).*shared_buffers = '(\d+)(MB|GB)'/.exec(notices[0])!;
    expect(Number(buffers)).toBe(Math.round(server.buffers / MB));
    expect(Number(largest)).toBeGreaterThanOrEqual(Math.floor(server.largest / MB)); // the table with its TOAST, as loaded
    expect(Number(total)).toBeGreaterThanOrEqual(Math.floor(server.total / MB));
    const suggestedBytes = Number(suggested) * (unit === 'GB' ? 1024 : 1) * MB;
    expect(suggestedBytes).toBeGreaterThanOrEqual(bufferNeed(Number(total) * MB, Number(largest) * MB) - MB);
    expect(suggestedBytes).toBeLessThan(bufferNeed(server.total, server.largest) + 300 * MB);
  });

  it('says nothing of a model the buffers keep, and the library tells the same (null on the embedded database)', async () => {
    const run = await runCli(['next', 'Hello', '--model', tiny.model.name, '--db', target.db]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const gpt2 = await open({ db: target.db });
    try {
      const [wideFit, tinyFit] = [await gpt2.bufferFit(wide.model.name), await gpt2.bufferFit(tiny.model.name)];
      if (!server) {
        expect([wideFit, tinyFit]).toEqual([null, null]);
        return;
      }
      expect(tinyFit).toMatchObject({ enough: true, sharedBuffersBytes: server.buffers });
      expect(wideFit).toMatchObject({ enough: false, sharedBuffersBytes: server.buffers });
      expect(wideFit!.largestBytes).toBeGreaterThanOrEqual(server.largest);
    } finally {
      await gpt2.close();
    }
  });

  it('models lists the models, and notices each one the buffers cannot keep', async () => {
    const run = await runCli(['models', '--db', target.db]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(wide.model.name);
    const noticed = (model: LoadedModel) => run.stderr.includes(`cannot keep ${model.model.name}'s tables`);
    expect([noticed(wide), noticed(tiny)]).toEqual([server !== null, false]);
  });

  it('serve notices, as it starts, each model the buffers cannot keep', async () => {
    const run = startCli(['serve', '--http', '0', '--port', '0', '--db', target.db]);
    await run.until((stdout) => stdout.includes('press Ctrl-C to stop'));
    run.kill('SIGTERM');
    const { stderr } = await run.ended;
    const noticed = (model: LoadedModel) => stderr.includes(`cannot keep ${model.model.name}'s tables`);
    expect([noticed(wide), noticed(tiny)]).toEqual([server !== null, false]);
  });
});

/** A setting with its unit ('128MB', '1GB', '16384kB'), in bytes. */
function unitBytes(setting: string): number {
  const [, value, unit] = /^(\d+)(kB|MB|GB|TB)$/.exec(setting)!;
  return Number(value) * 1024 ** { kB: 1, MB: 2, GB: 3, TB: 4 }[unit as 'kB' | 'MB' | 'GB' | 'TB'];
}

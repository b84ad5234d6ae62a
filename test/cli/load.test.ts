import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyCheckpoint } from '../helpers/checkpoints.ts';
import { testDatabases, uniqueModelName } from '../helpers/databases.ts';
import { runCli } from '../helpers/cli-process.ts';

describe.each(testDatabases())('gpt2sql load, models, drop on $driver', (target) => {
  const name = uniqueModelName('cli');
  let dir: string;
  beforeAll(async () => {
    dir = await tinyCheckpoint({ n_layer: 1, n_head: 1, n_embd: 4, n_ctx: 8 });
  });
  afterAll(async () => {
    await runCli(['drop', name, '--db', target.db]);
  });

  it('loads a checkpoint directory and lists it, with --db before or after the command', async () => {
    const load = await runCli(['load', dir, '--as', name, '--db', target.db]);
    expect(load.stderr).toContain(`loaded ${name} (1 layers, 1 heads, 4 wide, context 8, vocabulary 50257`);
    expect(load.code).toBe(0);
    const models = await runCli(['--db', target.db, 'models', '--json']);
    expect(models.code).toBe(0);
    const listed = JSON.parse(models.stdout) as Array<{ name: string; n_layer: number; source: string }>;
    expect(listed.find((m) => m.name === name)).toMatchObject({ n_layer: 1, source: dir });
    const table = await runCli(['models', '--db', target.db]);
    expect(table.stdout).toMatch(new RegExp(`^${name}\\s+1\\s+1\\s+4\\s+8\\s+50257`, 'm'));
    // After the table: the parallel workers a scan gets here, and how a server's limits are raised.
    if (target.driver === 'pglite') {
      expect(table.stdout).toContain('parallel workers: none (the embedded database runs in one process; --workers has no effect)');
    } else {
      expect(table.stdout).toMatch(/^parallel workers: \d+ per scan of weights by default \(max_parallel_workers_per_gather = \d+(, and the \d+ cores the server shares with this machine less one|, but none on the \d+ cores the server shares with this machine)?; --workers N asks for up to max_parallel_workers = \d+\)$/m);
      expect(table.stdout).toContain('ALTER SYSTEM SET max_parallel_workers_per_gather = N; SELECT pg_reload_conf();');
    }
  });

  it('drops a model, and says which models exist when asked for a missing one', async () => {
    const other = uniqueModelName('cli');
    await runCli(['load', dir, '--as', other, '--db', target.db]);
    expect((await runCli(['drop', other, '--db', target.db])).code).toBe(0);
    const again = await runCli(['drop', other, '--db', target.db]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`model "${other}" is not loaded \\(loaded models: .*${name}`));
    expect(again.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
  });
});

describe('gpt2sql --help', () => {
  it('lists the commands and the global options', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const word of ['load', 'models', 'drop', '--db', '--model']) expect(help.stdout).toContain(word);
  });

  it('explains load with examples', async () => {
    const help = await runCli(['load', '--help']);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--kernel');
  });
});

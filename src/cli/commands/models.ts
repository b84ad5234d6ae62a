import type { Command } from 'commander';
import type { ModelEntry } from '../../api/api-types.ts';
import { withGpt2Sql } from '../context.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { buffersNoticeText } from '../option-flags.ts';
import { formatTable } from '../table.ts';

export interface ModelsCommandOptions extends GlobalOptions {
  json?: boolean;
}

/** `gpt2sql models`: the loaded models, as a table or JSON. */
export async function modelsCommand(options: ModelsCommandOptions, io: Io): Promise<ModelEntry[]> {
  const [models, parallelism, fits] = await withGpt2Sql(options, async (gpt2) => {
    const catalog = await gpt2.catalog();
    return [catalog, await gpt2.parallelism(), await Promise.all(catalog.map((model) => gpt2.bufferFit(model.name)))] as const;
  }, { readsWeights: false });
  if (options.json) {
    io.out(`${JSON.stringify(models, null, 2)}\n`);
  } else if (models.length === 0) {
    io.err('no models loaded yet; load one with: gpt2sql load gpt2 (or a local checkpoint directory)\n');
  } else {
    const header = ['name', 'layers', 'heads', 'embd', 'ctx', 'vocab', 'kernel', 'dtype', 'source', 'loaded', 'shards'];
    const rows = models.map((m) => [
      m.name, m.n_layer, m.n_head, m.n_embd, m.n_ctx, m.vocab_size, m.kernel, m.dtype, m.source,
      m.loaded_at.toISOString().replace('T', ' ').slice(0, 19), m.shard_locations.join(', ') || '–',
    ]);
    io.out(formatTable(header, rows));
    io.out(`\n${parallelism.summary}\n`);
    models.forEach((model, i) => {
      const notice = buffersNoticeText(model.name, fits[i]);
      if (notice) io.err(notice);
    });
  }
  return models;
}

export function registerModels(program: Command, io: Io): void {
  program
    .command('models')
    .description('list the models loaded in the database')
    .option('--json', 'print the catalog rows as JSON')
    .addHelpText('after', `
The shards column names the servers (host:port/database) that hold a sharded model's weight
matrices (load --shards); – for a model whose weights are all in this database.
After the table: how many parallel workers a scan of weights gets on this database by default
(--workers of complete, next and trace), and how to raise the server's limits; on stderr, each
model a server's shared_buffers cannot keep in memory, and the value to set.

Example:
  $ gpt2sql models --db postgres://postgres@127.0.0.1:5432/test`)
    .action(async (_options: unknown, command: Command) => {
      await modelsCommand(command.optsWithGlobals<ModelsCommandOptions>(), io);
    });
}

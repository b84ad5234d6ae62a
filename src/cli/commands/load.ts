import type { Command } from 'commander';
import { KERNELS, type LoadOptions } from '../../api/api-types.ts';
import { download } from '../../api/download.ts';
import { defaultModelName } from '../../api/gpt2sql.ts';
import type { ModelRow } from '../../api/api-types.ts';
import { withGpt2Sql } from '../context.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { progressBar, type Progress } from '../progress.ts';
import { interruptedError, withStopSignals } from '../signals.ts';

export interface LoadCommandOptions extends GlobalOptions {
  as?: string;
  kernel?: string;
  /** `--shards URL,URL,…`: the servers that hold the weight matrices. */
  shards?: string;
}

/**
 * Downloads a hub checkpoint (with a progress bar) or takes a local directory; returns the directory.
 * When `signal` fires, stops waiting for the download (the next run downloads what is missing).
 */
export async function fetchCheckpoint(source: string, io: Io, signal?: AbortSignal): Promise<string> {
  let bar: Progress | undefined;
  const onProgress = ({ bytesDone, bytesTotal }: { bytesDone: number; bytesTotal: number }) => {
    bar ??= progressBar(io, `download ${source}`, bytesTotal, 'bytes');
    bar.update(bytesDone, bytesTotal);
  };
  // A download writes nothing to the database: a signal need not wait for it to end.
  const dir = await download(source, { onProgress, signal }).catch((error: unknown) => {
    if (!signal?.aborted) throw error;
    throw interruptedError(signal, `: the download of ${source} stopped; run the same command again to go on`);
  });
  bar?.finish();
  return dir;
}

/** `gpt2sql load SOURCE`: a checkpoint into the database, in one transaction; options.signal rolls it back. */
export async function loadCommand(source: string, options: LoadCommandOptions, io: Io): Promise<ModelRow> {
  const name = options.as ?? defaultModelName(source);
  const { signal } = options;
  const directory = await fetchCheckpoint(source, io, signal);
  return withGpt2Sql(options, async (gpt2) => {
    const { location } = gpt2.db;
    let bar: Progress | undefined;
    const started = Date.now();
    const onProgress = (done: number, total: number) => {
      // Without a terminal the bar prints only when it ends: say once that copying has begun.
      if (!bar && !io.interactive) io.err(`load ${name}: copying ${total} weights into ${location}\n`);
      (bar ??= progressBar(io, `load ${name}`, total, 'items')).update(done);
    };
    try {
      const shards = options.shards?.split(',').map((url) => url.trim()).filter(Boolean);
      const kernel = options.kernel as LoadOptions['kernel']; // the loader checks it, naming the kernels
      const model = await gpt2.load(source, { as: name, directory, kernel, shards, onProgress, signal });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const where = model.shards ? `${location}, its weight matrices on ${model.shards} shards,` : location;
      bar?.finish(`loaded ${describeModel(model)} into ${where} in ${seconds} s`);
      return model;
    } catch (error) {
      if (bar && io.interactive) io.err('\n'); // end the bar's line before the error's
      if (!signal?.aborted) throw error;
      throw interruptedError(signal, `: loading ${name} was rolled back and the database is as it was; run the same command again to load it`);
    }
  });
}

/** One line about a model: name, size and where it came from. */
export function describeModel(model: ModelRow): string {
  const { name, n_layer, n_head, n_embd, n_ctx, vocab_size, kernel } = model;
  return `${name} (${n_layer} layers, ${n_head} heads, ${n_embd} wide, context ${n_ctx}, vocabulary ${vocab_size}, kernel ${kernel})`;
}

/** `--kernel`'s help, from the kernels' list. */
const KERNEL_HELP = `how dot products are computed: auto (the fastest available: ${KERNELS.map((k) => k.name).join(', else ')}), ` +
  `${KERNELS.map((k) => `${k.name} (${k.summary})`).join(', ').replace(/, ([^,]*)$/, ' or $1')}`;

export function registerLoad(program: Command, io: Io): void {
  program
    .command('load')
    .description('load a GPT-2 checkpoint (local Hugging Face directory or hub id) into the database')
    .argument('<source>', 'a directory with config.json, model.safetensors and tokenizer files, or a hub id (gpt2, distilgpt2, openai-community/gpt2-medium)')
    .option('--as <name>', 'name of the model in the database (default: the last part of SOURCE)')
    .option('--kernel <kernel>', KERNEL_HELP, 'auto')
    .option('--shards <urls>', 'comma-separated postgres:// URLs of servers that hold the weight matrices, each a range of output columns, read by --db (a server with postgres_fdw) as foreign partitions; kernel cube or array (see docs/scaling.md)')
    .addHelpText('after', `
Examples:
  $ gpt2sql load gpt2                          # download from the Hugging Face hub, then load
  $ gpt2sql load ./checkpoints/tiny --as tiny  # a local directory
  $ gpt2sql load distilgpt2 --db postgres://postgres@127.0.0.1:5432/test
  $ gpt2sql load gpt2 --db postgres://postgres@coordinator/gpt2sql \\
      --shards postgres://gpt2sql:secret@shard-a/gpt2sql,postgres://gpt2sql:secret@shard-b/gpt2sql

Downloads go to the Hugging Face cache ($HF_HOME, default ~/.cache/huggingface); files
already there are reused. Set HF_ENDPOINT to use a mirror. Reloading a model replaces it
atomically; a failed load leaves the database as it was, and so does Ctrl-C (or SIGTERM,
SIGHUP): the load stops at the next tensor and rolls back. With --shards, that holds on
every server: a load that fails on any shard leaves all of them as they were. The shards'
user names and passwords go into the coordinator's user mappings and are never printed.`)
    .action(async (source: string, _options: unknown, command: Command) => {
      await withStopSignals(io, 'stopping at the next tensor; the load will be rolled back', (signal) =>
        loadCommand(source, { ...command.optsWithGlobals<LoadCommandOptions>(), signal }, io));
    });
}

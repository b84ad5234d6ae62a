import { constants } from 'node:os';
import type { Command } from 'commander';
import { resolveSource } from '../../checkpoint/hub-download.ts';
import { openCheckpoint } from '../../checkpoint/open-checkpoint.ts';
import type { ModelRow } from '../../db/catalog-tables.ts';
import { GptSqlError } from '../../errors.ts';
import { loadModel } from '../../load/load-model.ts';
import { defaultModelName } from '../../load/model-names.ts';
import { withDatabase } from '../context.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { progressBar, type Progress } from '../progress.ts';

export interface LoadCommandOptions extends GlobalOptions {
  as?: string;
  kernel?: string;
}

/** Downloads a hub checkpoint (with a progress bar) or takes a local directory; returns the directory. */
export async function fetchCheckpoint(source: string, io: Io): Promise<string> {
  let bar: Progress | undefined;
  const dir = await resolveSource(source, {
    onProgress: ({ bytesDone, bytesTotal }) => {
      bar ??= progressBar(io, `download ${source}`, bytesTotal, 'bytes');
      bar.update(bytesDone, bytesTotal);
    },
  });
  bar?.finish();
  return dir;
}

/** An interrupted load: the message, and the exit code a shell expects after the signal (130 for SIGINT). */
function interrupted(signal: NodeJS.Signals, name: string): GptSqlError {
  const error = new GptSqlError(
    `interrupted by ${signal}: loading ${name} was rolled back and the database is as it was; run the same command again to load it`,
  );
  return Object.assign(error, { exitCode: 128 + constants.signals[signal] });
}

/**
 * Runs `fn` with an AbortSignal that Ctrl-C or SIGTERM aborts, so the load stops at the next
 * tensor and rolls back (a killed PGlite process would leave the copied files behind on disk).
 * A second signal ends the process at once; the next open recovers to the state before the load.
 */
async function abortOnSignal<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) return controller.abort(interrupted(signal, name));
    release();
    process.kill(process.pid, signal);
  };
  const release = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(controller.signal);
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    release();
  }
}

/** `gpt2sql load SOURCE`: a checkpoint into the database, in one transaction. */
export async function loadCommand(source: string, options: LoadCommandOptions, io: Io): Promise<ModelRow> {
  const name = options.as ?? defaultModelName(source);
  const dir = await fetchCheckpoint(source, io);
  const checkpoint = await openCheckpoint(dir);
  try {
    return await withDatabase(options, (db) => abortOnSignal(name, async (signal) => {
      let bar: Progress | undefined;
      const started = Date.now();
      const onProgress = (done: number, total: number) => {
        // Without a terminal the bar prints only when it ends: say once that copying has begun.
        if (!bar && !io.interactive) io.err(`load ${name}: copying ${total} weights into ${db.location}\n`);
        (bar ??= progressBar(io, `load ${name}`, total, 'items')).update(done);
      };
      try {
        const model = await loadModel(db, checkpoint, { name, source, kernel: options.kernel, onProgress, signal });
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        bar?.finish(`loaded ${describeModel(model)} into ${db.location} in ${seconds} s`);
        return model;
      } catch (error) {
        if (bar && io.interactive) io.err('\n'); // end the bar's line before the error's
        throw error;
      }
    }));
  } finally {
    await checkpoint.close();
  }
}

/** One line about a model: name, size and where it came from. */
export function describeModel(model: ModelRow): string {
  const { name, n_layer, n_head, n_embd, n_ctx, vocab_size, kernel } = model;
  return `${name} (${n_layer} layers, ${n_head} heads, ${n_embd} wide, context ${n_ctx}, vocabulary ${vocab_size}, kernel ${kernel})`;
}

export function registerLoad(program: Command, io: Io): void {
  program
    .command('load')
    .description('load a GPT-2 checkpoint (local Hugging Face directory or hub id) into the database')
    .argument('<source>', 'a directory with config.json, model.safetensors and tokenizer files, or a hub id (gpt2, distilgpt2, openai-community/gpt2-medium)')
    .option('--as <name>', 'name of the model in the database (default: the last part of SOURCE)')
    .option('--kernel <kernel>', 'how dot products are computed: auto (the fastest available: vector, else cube, else array), vector (pgvector), cube (contrib cube) or array (plain float4[])', 'auto')
    .addHelpText('after', `
Examples:
  $ gpt2sql load gpt2                          # download from the Hugging Face hub, then load
  $ gpt2sql load ./checkpoints/tiny --as tiny  # a local directory
  $ gpt2sql load distilgpt2 --db postgres://postgres@127.0.0.1:5432/test

Downloads go to the Hugging Face cache ($HF_HOME, default ~/.cache/huggingface); files
already there are reused. Set HF_ENDPOINT to use a mirror. Reloading a model replaces it
atomically; a failed load leaves the database as it was.`)
    .action(async (source: string, _options: unknown, command: Command) => {
      await loadCommand(source, command.optsWithGlobals<LoadCommandOptions>(), io);
    });
}

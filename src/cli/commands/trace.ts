import type { Command } from 'commander';
import type { ModelRow } from '../../api/api-types.ts';
import { GptSqlError } from '../../errors.ts';
import type { OutputPositions } from '../../api/api-types.ts';
import { OUTPUT_POSITIONS, TRACE_TABLES, traceSchema } from '../../api/gpt2sql.ts';
import { withModel } from '../model-access.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { addWorkersFlag, buffersNotice, workersFlag, workersNotice, type OptionFlags } from '../option-flags.ts';
import { readPrompt } from '../prompt-input.ts';
import { interruptedError, withStopSignals } from '../signals.ts';

export interface TraceCommandOptions extends GlobalOptions, Pick<OptionFlags, 'workers'> {
  /** The trace's name: its schema is trace_NAME. Default: the model's name. */
  as?: string;
  /** The positions of logits and probs: all (default) or last. */
  logits?: string;
  /** The logit lens's positions: last (default) or all. */
  lens?: string;
}

/**
 * `gpt2sql trace [PROMPT]`: one forward pass over the prompt with every intermediate kept as a
 * table of the schema trace_NAME (replaced if it exists), and how to look at it with psql.
 * Returns the schema's name.
 */
export async function traceCommand(prompt: string | undefined, options: TraceCommandOptions, io: Io): Promise<string> {
  const text = await readPrompt(prompt, io);
  if (options.as !== undefined) traceSchema(options.as); // refuses an unusable name before opening the database
  const lens = outputPositions('--lens', options.lens ?? 'last');
  const logits = outputPositions('--logits', options.logits ?? 'all');
  const workers = workersFlag(options);
  return withModel(options, io, async (gpt2, model) => {
    await workersNotice(gpt2, workers, io);
    await buffersNotice(gpt2, model, io);
    const name = options.as ?? model.name;
    const { schema, tokens } = await gpt2.trace(text, { model: model.name, as: name, signal: options.signal, workers, lens, logits }).catch((error: unknown) => {
      if (!options.signal?.aborted) throw error;
      throw interruptedError(options.signal, `: the trace was rolled back and ${traceSchema(name)} is as it was; run the same command again to make it`);
    });
    io.out(traceSummary(model, tokens.length, schema, gpt2.db.psqlHint));
    return schema;
  });
}

function outputPositions(flag: string, value: string): OutputPositions {
  if (!(OUTPUT_POSITIONS as readonly string[]).includes(value)) {
    throw new GptSqlError(`${flag} must be ${OUTPUT_POSITIONS.join(' or ')}, got ${value}`);
  }
  return value as OutputPositions;
}

/** What was made, and a first query to run: where one head looks. `psqlHint`: how psql reaches the database. */
function traceSummary(model: ModelRow, tokens: number, schema: string, psqlHint: string): string {
  const block = Math.min(5, model.n_layer - 1), head = Math.min(3, model.n_head - 1);
  return `traced ${tokens} tokens through model ${model.name} into schema ${schema}
tables: ${TRACE_TABLES.join(', ')} (see docs/trace.md)

look inside with:  ${psqlHint}
  SET search_path TO ${schema};
  -- the earlier token each token attends to most, in block ${block}, head ${head}:
  SELECT DISTINCT ON (att.t) att.t, query.text AS token, att.s, key.text AS attends_to, round(att.weight::numeric, 3) AS weight
  FROM att JOIN tokens AS query ON query.t = att.t JOIN tokens AS key ON key.t = att.s
  WHERE att.block = ${block} AND att.head = ${head}
  ORDER BY att.t, att.weight DESC;
`;
}

export function registerTrace(program: Command, io: Io): void {
  const trace = program
    .command('trace')
    .description('run one forward pass and keep every intermediate (attention, MLP, logits…) as tables to query')
    .argument('[prompt]', 'the text (default: standard input, without its final newline)')
    .option('--as <name>', "the trace's name; its tables go to schema trace_NAME, replaced if it exists (default: the model's name)")
    .option('--logits <positions>', 'the positions of the logits and probs tables: all, or last (the next token only, T times faster)', 'all')
    .option('--lens <positions>', 'where the logit lens (table lens) looks: last (the next token) or all positions (n_layer times the output head per position)', 'last');
  addWorkersFlag(trace)
    .addHelpText('after', `
Examples:
  $ gpt2sql trace "The cat sat on the mat because it was tired"
  $ gpt2sql trace "Hello, world" --as hello --model distilgpt2
  $ gpt2sql trace "The Eiffel Tower is in" --lens all
  $ psql -c "SELECT * FROM trace_gpt2.att WHERE block = 5 AND head = 3 ORDER BY t, s"

Tables (docs/trace.md): ${TRACE_TABLES.join(', ')}.
The trace is made in one transaction: Ctrl-C (or SIGTERM, SIGHUP) rolls it back after the
statement running, and an earlier trace of the same name stays as it was.`)
    .action(async (prompt: string | undefined, _options: unknown, command: Command) => {
      await withStopSignals(io, 'stopping after the current statement; the trace will be rolled back', (signal) =>
        traceCommand(prompt, { ...command.optsWithGlobals<TraceCommandOptions>(), signal }, io));
    });
}

import type { Command } from 'commander';
import { SERVE_PORT } from '../../db/database.ts';
import { openDatabase } from '../../db/open-database.ts';
import { GptSqlError } from '../../errors.ts';
import type { GlobalOptions, Io } from '../io.ts';
import { interruptedError, whenAborted, withStopSignals } from '../signals.ts';

export interface ServeCommandOptions extends GlobalOptions {
  port?: string;
}

/**
 * `gpt2sql serve`: the embedded database on 127.0.0.1 through PostgreSQL's wire protocol, so
 * psql (or any client) can query the model's tables and the trace tables. Runs until `signal`
 * fires (the CLI's: Ctrl-C, SIGTERM or SIGHUP), then stops the server, closes the database and
 * rejects with interruptedError.
 */
export async function serveCommand(options: ServeCommandOptions & { signal: AbortSignal }, io: Io): Promise<never> {
  const port = Number(options.port ?? SERVE_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GptSqlError(`--port must be a port number (0-65535), not "${options.port}"`);
  const db = await openDatabase({ db: options.db });
  try {
    const server = await db.serve(port).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') throw new GptSqlError(`port ${port} is in use; choose another with --port N`);
      throw error;
    });
    io.out(`serving ${db.location} on ${server.host}:${server.port}\n`);
    io.out(`connect with:  ${server.psql}\n`);
    io.out('then e.g.:     SET search_path TO gpt2, public;  SELECT * FROM gpt2sql.models;\n');
    io.out('press Ctrl-C to stop\n');
    await whenAborted(options.signal);
    await server.stop();
  } finally {
    await db.close();
  }
  throw interruptedError(options.signal, `: stopped serving ${db.location}; the database is closed`);
}

export function registerServe(program: Command, io: Io): void {
  program
    .command('serve')
    .description('expose the embedded database to psql over the PostgreSQL wire protocol (127.0.0.1)')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0 picks a free one)', String(SERVE_PORT))
    .addHelpText('after', `
Example:
  $ gpt2sql serve --port 5433
  $ psql -h 127.0.0.1 -p 5433 -U postgres postgres -c 'SELECT * FROM gpt2sql.models'

Runs until Ctrl-C (or SIGTERM, SIGHUP), then exits with 128 + the signal's number.
Only one program can use the embedded database at a time: stop serve before running other
gpt2sql commands on the same --db (or run them through psql meanwhile).`)
    .action(async (_options: unknown, command: Command) => {
      await withStopSignals(io, 'stopping the server', (signal) => serveCommand({ ...command.optsWithGlobals<ServeCommandOptions>(), signal }, io));
    });
}

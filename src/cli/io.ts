/** Where a command writes and reads; the CLI passes the process's, tests pass their own. */
export interface Io {
  /** Results: what a user pipes into another program. */
  out(text: string): void;
  /** Progress, notices and errors. */
  err(text: string): void;
  /** All of standard input, as UTF-8 text. */
  readStdin(): Promise<string>;
  /** Is stderr a terminal (progress bars redraw in place only then)? */
  readonly interactive: boolean;
}

/** Options every command takes, before or after the command name. */
export interface GlobalOptions {
  /** `--db`: a PGlite directory or a postgres:// URL. */
  db?: string;
  /** `--model`: which loaded model to use. */
  model?: string;
  verbose?: boolean;
  /**
   * Stops the command where nothing is left half written (the CLI fires it on SIGINT, SIGTERM or
   * SIGHUP; see signals.ts); the command then rejects with interruptedError.
   */
  signal?: AbortSignal;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The process's own streams. */
export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  readStdin: () => readAll(process.stdin),
  interactive: Boolean(process.stderr.isTTY),
};

import type { Io } from '../../src/cli/io.ts';

/** An Io that keeps what is written, and gives `stdin` as standard input. */
export function memoryIo(stdin = ''): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    interactive: false,
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    readStdin: async () => stdin,
  };
  return io;
}

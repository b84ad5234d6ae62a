import type { Io } from './io.ts';

export interface Progress {
  /** Sets how much is done (same unit as total). */
  update(done: number, total?: number): void;
  /** Ends the bar with a summary line. */
  finish(summary?: string): void;
}

const WIDTH = 28;

function formatAmount(value: number, unit: 'bytes' | 'items'): string {
  if (unit === 'items') return String(Math.round(value));
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} kB`;
  if (value < 1024 ** 3) return `${(value / 1024 ** 2).toFixed(1)} MB`;
  return `${(value / 1024 ** 3).toFixed(2)} GB`;
}

/**
 * A progress bar on stderr: redrawn in place on a terminal (at most 10 times a second),
 * otherwise a single line when it finishes, so logs stay short.
 *
 * @example
 * const bar = progressBar(io, 'wte', total, 'bytes'); bar.update(n); bar.finish();
 */
export function progressBar(io: Io, label: string, total: number, unit: 'bytes' | 'items' = 'items'): Progress {
  const started = Date.now();
  let lastDraw = 0;
  let done = 0;
  const line = () => {
    const fraction = total > 0 ? Math.min(done / total, 1) : 0;
    const filled = Math.round(fraction * WIDTH);
    const seconds = (Date.now() - started) / 1000;
    const rate = unit === 'bytes' && seconds > 0 ? `  ${formatAmount(done / seconds, unit)}/s` : '';
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ` +
      `${formatAmount(done, unit)}/${formatAmount(total, unit)}${rate}`;
  };
  return {
    update(value, newTotal) {
      done = value;
      if (newTotal !== undefined) total = newTotal;
      const now = Date.now();
      if (!io.interactive || now - lastDraw < 100) return;
      lastDraw = now;
      io.err(`\r${line()}\x1b[K`);
    },
    finish(summary) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const text = summary ?? `${label}: ${formatAmount(total, unit)} in ${seconds} s`;
      io.err(io.interactive ? `\r${text}\x1b[K\n` : `${text}\n`);
    },
  };
}

// The scripts' command lines: node's parseArgs, with --help (-h) printing the script's opening
// comment, its usage, and an unknown or malformed option printing a one-line error and that usage
// (exit 2) instead of a stack trace.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A script's opening comment, each line without its `// `. */
export function usageOf(scriptUrl: string): string {
  const lines = readFileSync(fileURLToPath(scriptUrl), 'utf8').split('\n');
  const end = lines.findIndex((line) => !line.startsWith('//'));
  return lines.slice(0, end === -1 ? lines.length : end).map((line) => line.replace(/^\/\/ ?/, '')).join('\n');
}

/**
 * The options of the script at `scriptUrl` (its import.meta.url), parsed by `config`; with --help,
 * its usage on stdout and exit 0; after an unknown option, the error and the usage on stderr, exit 2.
 *
 * @example
 * const { values } = parseCommandLine(import.meta.url, { options: { runs: { type: 'string', default: '5' } } });
 */
export function parseCommandLine<const T extends ParseArgsConfig>(scriptUrl: string, config: T): ReturnType<typeof parseArgs<T>> {
  const withHelp = { ...config, options: { ...config.options, help: { type: 'boolean', short: 'h' } } } as const;
  let parsed: ReturnType<typeof parseArgs<typeof withHelp>>;
  try {
    parsed = parseArgs(withHelp);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usageOf(scriptUrl)}\n`);
    process.exit(2);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usageOf(scriptUrl)}\n`);
    process.exit(0);
  }
  return parsed as unknown as ReturnType<typeof parseArgs<T>>;
}

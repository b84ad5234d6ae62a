import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest test files, longest first, as a whole run's report lists them (.ci/report.mjs). Vitest
 * orders by the durations of the previous run when it has them, which a fresh install (CI's npm ci) has
 * not, and then by file size: a long file could start last and end the run alone. Each worker takes
 * the next file when it is free, so starting the longest first makes both end near the same time.
 */
const LONGEST_FIRST = [
  'test/package/install.test.ts',
  'test/explorer/page.test.ts',
  'test/engine/sharded.test.ts',
  'test/engine/parallel.test.ts',
  'test/errors/bad-databases.test.ts',
  'test/errors/interrupted-load.test.ts',
  'test/engine/numerics.test.ts',
  'test/engine/forward.test.ts',
  'test/cli/load.test.ts',
  'test/errors/interrupted-commands.test.ts',
  'test/engine/numerics-sampling.test.ts',
  'test/engine/full-context.test.ts',
  'test/cli/complete.test.ts',
];

/** Vitest's order, with the files of LONGEST_FIRST moved to the front in its order. */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const at = LONGEST_FIRST.indexOf(relative(file.project.config.root, file.moduleId));
      return at === -1 ? LONGEST_FIRST.length : at;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    // Two test files at a time, one per core: most of a file's time is a database computing, in
    // its own process (PGlite in the worker, a server backend, a CLI process). Test files share
    // the server, so each names its models and databases after its own process (test/helpers).
    maxWorkers: 2,
    fileParallelism: true,
    sequence: { sequencer: LongestFirst },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

import { defineConfig } from 'vitest/config';

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
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

import { defineConfig } from 'vitest/config';

// Two projects: `core` holds the pure domain tests (src/core: no database, no servers, no network),
// which run in worker threads without per-file process isolation and finish in about a second;
// `integration` holds everything else (real servers, SQLite and PostgreSQL) in forked processes.
// `npx vitest run --project core` runs the fast one alone; `npm test` runs both.
const coreTests = ['test/core/**/*.test.ts'];

export default defineConfig({
  test: {
    maxWorkers: 2,
    env: { STRIPE_SUPPRESS_NOTICES: 'true' },
    projects: [
      {
        extends: true,
        test: { name: 'core', include: coreTests, pool: 'threads', isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
          exclude: [...coreTests, '**/node_modules/**'],
          pool: 'forks',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});

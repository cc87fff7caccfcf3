import { defineConfig } from 'vitest/config';

// Issue 16's three-node kill test (Mosquitto + PostgreSQL + Redis + three service processes) alone, as
// `npm run test:cluster` (`npm test` runs it too, see vitest.config.ts).
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.cluster.ts'],
    testTimeout: 600_000,
    hookTimeout: 180_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});

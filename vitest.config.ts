import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Issue 16's three-node kill test (test/cluster/*.cluster.ts: Mosquitto, PostgreSQL, Redis and
    // three service processes, about two minutes) runs with the rest; `npm run test:cluster` runs it alone.
    include: ['test/**/*.test.ts', 'test/cluster/**/*.cluster.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real brokers, GStreamer x264 sources, ffmpeg and Chromium: on two cores,
    // two such files at once starve each other's live streams (a wall tile not live within 20 s).
    // One file at a time costs about two minutes and makes the suite deterministic.
    maxWorkers: 1,
    fileParallelism: false,
  },
});

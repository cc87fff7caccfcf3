import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real brokers, GStreamer x264 sources, ffmpeg and Chromium: on two cores,
    // two such files at once starve each other's live streams (a wall tile not live within 20 s).
    // One file at a time costs about two minutes and makes the suite deterministic.
    maxWorkers: 1,
    fileParallelism: false,
  },
});

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { modelsSchema } from '../../src/config/sections/models.js';
import { ModelRuntime } from '../../src/verification/model-runtime.js';

// Counts what the calling thread does of the built-in detector's conversion. A worker thread loads
// its own copy of these modules, which this mock does not reach.
const onThisThread = vi.hoisted(() => ({ sources: 0, converts: 0 }));
vi.mock('../../models/tfjs-graph.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../models/tfjs-graph.js')>();
  return {
    ...real,
    readTfjsSources: (...a: Parameters<typeof real.readTfjsSources>) => {
      onThisThread.sources++;
      return real.readTfjsSources(...a);
    },
  };
});
vi.mock('../../models/tfjs-to-onnx.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../models/tfjs-to-onnx.js')>();
  return {
    ...real,
    convertTfjsGraph: (...a: Parameters<typeof real.convertTfjsGraph>) => {
      onThisThread.converts++;
      return real.convertTfjsGraph(...a);
    },
  };
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sharpeyes-model-runtime-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ModelRuntime: the built-in detector', () => {
  // Issue 13: the service opens it from its alarm thread (the first alarm with frames, or the demo's
  // warm-up). Reading and hashing the 7.3 MB graph, and the first time converting it (0.4 s here), held
  // every panel's PUBACK while it ran.
  it('is converted and found on a worker thread, not on the thread that asks', async () => {
    const runtime = new ModelRuntime(modelsSchema.parse({}), join(dir, 'fresh'));
    try {
      const detector = await runtime.detector();
      expect(detector).toBeDefined();
      expect(readdirSync(runtime.cacheDir)).toEqual([expect.stringMatching(/^nanodet-[0-9a-f]{16}\.onnx$/)]);
      expect(onThisThread).toEqual({ sources: 0, converts: 0 });
    } finally {
      await runtime.close();
    }
    // A second service start finds the file, again without reading the graph here.
    const again = new ModelRuntime(modelsSchema.parse({}), join(dir, 'fresh'));
    try {
      expect(await again.detector()).toBeDefined();
      expect(readdirSync(again.cacheDir)).toHaveLength(1);
      expect(onThisThread).toEqual({ sources: 0, converts: 0 });
    } finally {
      await again.close();
    }
  });

  it('rejects with the reason when the cache cannot be written, and the next call tries again', async () => {
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'not a directory');
    const runtime = new ModelRuntime(modelsSchema.parse({ cacheDir: join(blocked, 'models') }), dir);
    try {
      const err = await runtime.detector().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(String((err as Error).message)).toBe('models: cannot convert nanodet to ONNX');
      expect(String(((err as Error).cause as Error)?.message)).toMatch(/ENOTDIR|EEXIST/);
      rmSync(blocked);
      expect(await runtime.detector()).toBeDefined();
    } finally {
      await runtime.close();
    }
  });
});

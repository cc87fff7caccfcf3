import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSyntheticDetector } from '../../models/detector-synthetic.js';
import { renderPlate, rgbToPng } from '../fixtures/models/plate-images.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');
let dir: string;

async function sharpeyes(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sharpeyes-cli-models-'));
  const style = { font: '"Noto Sans CJK SC"', angle: 0, blur: 0, width: 300 };
  writeFileSync(join(dir, 'plate.png'), rgbToPng(renderPlate({ ...style, text: '苏E5X2L9' })));
  writeFileSync(
    join(dir, 'white.png'),
    rgbToPng({ width: 128, height: 64, data: new Uint8Array(128 * 64 * 3).fill(255) }),
  );
  writeFileSync(
    join(dir, 'det.onnx'),
    buildSyntheticDetector({
      layout: 'yolox',
      size: 64,
      classes: 2,
      anchors: [{ box: [32, 32, 16, 32], cls: 1, weight: 0.004 }],
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent('sharpeyes plate / detect', () => {
  it('plate IMAGE prints the plate as JSON', async () => {
    const out = await sharpeyes('plate', join(dir, 'plate.png'));
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ plate: '苏E5X2L9', lines: [{ text: '苏E·5X2L9' }] });
  });

  it('detect IMAGE prints detections in image pixels', async () => {
    const out = await sharpeyes(
      'detect',
      join(dir, 'white.png'),
      ...['--model', join(dir, 'det.onnx'), '--layout', 'yolox', '--classes', 'person,car', '--size', '64'],
    );
    expect(out.code).toBe(0);
    // YOLOX input 0..255: the letterboxed mean of white + grey border is ≈ 184.5, × 0.004 ≈ 0.74.
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({
      width: 128,
      height: 64,
      detections: [{ label: 'car', box: [48, 0, 80, 64] }],
    });
    expect(json.detections[0].score).toBeCloseTo(0.738, 2);
  });

  it.each([
    { args: ['detect', 'nope.png'], message: /image nope.png does not exist/ },
    { args: ['plate'], message: /give exactly one IMAGE file/ },
  ])('$args fails with a clear message', async ({ args, message }) => {
    const out = await sharpeyes(...args);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
  });

  it('detect without a model says where to set one', async () => {
    const out = await sharpeyes('detect', join(dir, 'white.png'));
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/no detector: set models.detector.path in the config or pass --model/);
  });
});

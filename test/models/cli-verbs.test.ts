import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iou } from '../../models/detector-decode.js';
import { buildSyntheticDetector } from '../../models/detector-synthetic.js';
import { OPENCV_DATA, PERSON_BOXES } from '../fixtures/models/opencv-samples.js';
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

// One CLI process at a time, with room: each is a fresh Node + tsx start, and on a shared two-core
// machine eight of them at once took longer than any sensible timeout.
describe('sharpeyes plate / detect', { timeout: 120_000 }, () => {
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

  it('detect with no model given runs the built-in NanoDet and prints the boxes, one a line', async () => {
    const out = await sharpeyes(
      'detect',
      join(OPENCV_DATA, 'messi5.jpg'),
      ...['--data-dir', join(dir, 'data'), '--draw', join(dir, 'messi.jpg')],
    );
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({ width: 548, height: 342, threshold: 0.5 });
    expect(json.detector).toMatch(/^NanoDet-g 416/);
    const player = PERSON_BOXES['messi5.jpg']![0]!;
    const persons = (json.detections as { label: string; box: [number, number, number, number] }[]).filter(
      (d) => d.label === 'person',
    );
    expect(persons.some((d) => iou(d.box, [...player]) >= 0.5)).toBe(true);
    expect(out.stdout).toMatch(/\n {4}\{"label":"person","score":0\.\d+,"box":\[[\d.,]+\]\}/);
    // --draw writes the frame with the boxes: a JPEG of the photo's size.
    const probe = await run('ffprobe', [
      ...['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0'],
      join(dir, 'messi.jpg'),
    ]);
    expect(probe.stdout.trim()).toBe('mjpeg,548,342');
  });

  it.each([
    { args: ['--builtin', 'yolo'], message: /--builtin must be one of nanodet, centernet, got "yolo"/ },
    { args: ['--at', 'soon'], message: /--at must be seconds ≥ 0, got "soon"/ },
    { args: ['--model', 'missing.onnx'], message: /model missing.onnx does not exist/ },
  ])('detect $args fails with a clear message', async ({ args, message }) => {
    const out = await sharpeyes('detect', join(dir, 'white.png'), ...args);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
  });
});

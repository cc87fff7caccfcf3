// Helpers of bench/models-bench.ts: the motion decoder's CPU and plate-reading accuracy.
import { readFileSync } from 'node:fs';
import { FrameReader } from '../../models/motion-frames.js';
import { PlateReader } from '../../models/plate-reader.js';
import { PLATE_FONTS, platesFor, renderPlate } from '../../test/fixtures/models/plate-images.js';

/** CPU (fraction of one core) of one FrameReader decoding `file` in real time to 160×90 grey @ 2 fps. */
export async function decoderCpu(file: string, seconds: number): Promise<number> {
  let frames = 0;
  let reader: FrameReader | undefined;
  const ticks = () => {
    const stat = readFileSync(`/proc/${reader!.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(stat[11]) + Number(stat[12]); // utime + stime, clock ticks (100 Hz)
  };
  reader = new FrameReader({
    url: file,
    inputOptions: ['-re', '-stream_loop', '-1'],
    width: 160,
    height: 90,
    fps: 2,
    pixelFormat: 'gray',
    onFrame: () => frames++,
  });
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = ticks();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = (ticks() - t0) / 100;
  await reader.stop();
  return used / seconds;
}

export function editDistance(a: string, b: string): number {
  const A = [...a];
  const B = [...b];
  const d = Array.from({ length: A.length + 1 }, (_, i) => [i, ...Array<number>(B.length).fill(0)]);
  for (let j = 1; j <= B.length; j++) d[0]![j] = j;
  for (let i = 1; i <= A.length; i++)
    for (let j = 1; j <= B.length; j++)
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (A[i - 1] === B[j - 1] ? 0 : 1),
      );
  return d[A.length]![B.length]!;
}

export async function plateAccuracy(threads: number) {
  const reader = await PlateReader.open({ threads });
  const conditions = [
    { label: 'level, sharp, 300 px', angle: 0, blur: 0, width: 300 },
    { label: '5°, sharp, 240 px', angle: 5, blur: 0, width: 240 },
    { label: '-8°, blur 1, 220 px', angle: -8, blur: 1, width: 220 },
    { label: '10°, blur 1, 200 px', angle: 10, blur: 1, width: 200 },
    { label: 'level, blur 2, 180 px', angle: 0, blur: 2, width: 180 },
    { label: '-5°, blur 2.5, 150 px', angle: -5, blur: 2.5, width: 150 },
  ];
  const plates = platesFor(30);
  const result = conditions.map((c) => ({ ...c, exact: 0, chars: 0, total: 0, ms: [] as number[] }));
  for (const [i, text] of plates.entries()) {
    for (const r of result) {
      const img = renderPlate({
        text,
        font: PLATE_FONTS[i % PLATE_FONTS.length]!,
        angle: r.angle,
        blur: r.blur,
        width: r.width,
      });
      const t = performance.now();
      const read = await reader.read(img);
      r.ms.push(performance.now() - t);
      const got = read.plate ?? '';
      if (got === text) r.exact++;
      r.chars += Math.max(0, 1 - editDistance(got, text) / [...text].length);
      r.total++;
    }
  }
  await reader.close();
  return result;
}

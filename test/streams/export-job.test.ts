import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleClip, ClipError, sha256File } from '../../streams/clip-assembler.js';
import { loadOrCreateSiteKey } from '../../streams/evidence-keys.js';
import { verifyExport } from '../../streams/evidence-verify.js';
import { type ExportManifest, runExport, writeZip } from '../../streams/export-job.js';
import { unzip } from '../helpers/zip.js';
import { clockCues, probeTiming } from './media-probe.js';
import { probe, recordTestFootage, tempRecordingStore } from './recording-fixture.js';

const BASE = Date.UTC(2026, 0, 2, 3, 4, 5, 0);

async function rezip(from: string, to: string, edit: (m: Map<string, Buffer>) => void): Promise<void> {
  const entries = await unzip(from);
  edit(entries);
  await writeZip(
    to,
    [...entries].map(([name, data]) => ({ name, data })),
  );
}

describe('clips and signed evidence exports over recorded segments', () => {
  let store: ReturnType<typeof tempRecordingStore>;
  let zipFile: string;
  let manifest: ExportManifest;
  beforeAll(async () => {
    store = tempRecordingStore();
    await recordTestFootage({ ...store, camera: 'cam-1', baseMs: BASE, seconds: 8, segmentSeconds: 2 });
    // cam-2 lost its stream for 6 s: 4 s, a gap, 4 s.
    await recordTestFootage({ ...store, camera: 'cam-2', baseMs: BASE, seconds: 4, segmentSeconds: 2 });
    await recordTestFootage({
      ...store,
      camera: 'cam-2',
      baseMs: BASE + 10_000,
      seconds: 4,
      segmentSeconds: 2,
    });
    const exportsDir = join(store.dir, 'exports');
    mkdirSync(exportsDir);
    const progress: number[] = [];
    const res = await runExport(
      {
        id: 'exp-1',
        cameras: ['cam-1', 'cam-2'],
        fromMs: BASE + 2500,
        toMs: BASE + 12_000,
        reason: 'case 42',
        incident: 'inc-1',
        exportedBy: { username: 'inv', role: 'investigator', scope: 'city' },
      },
      {
        index: store.index,
        exportsDir,
        key: loadOrCreateSiteKey(join(store.dir, 'keys')),
        onProgress: (p) => progress.push(p),
      },
    );
    zipFile = res.file;
    manifest = res.manifest;
    expect(progress.at(-1)).toBe(1);
  });
  afterAll(async () => store?.cleanup());

  it('a clip starts at the keyframe (segment start) at or before the asked start and is stream-copied', async () => {
    const out = join(store.dir, 'clip.mp4');
    const clip = await assembleClip({
      index: store.index,
      camera: 'cam-1',
      fromMs: BASE + 2500,
      toMs: BASE + 5000,
      out,
    });
    expect([clip.startMs - BASE, clip.endMs - BASE]).toEqual([2000, 6000]);
    expect(clip.segments).toHaveLength(2);
    expect(clip.duration).toBe(4);
    expect(clip.sha256).toBe(await sha256File(out));
    const p = await probe(out);
    expect(p.frames).toBe(100);
    expect((await probeTiming(out)).duration).toBeCloseTo(4, 3);
    // -c copy: the clip's H.264 is the segments' H.264 (same profile/level and encoder SEI).
    const codec = execFileSync('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,profile',
      '-of',
      'csv=p=0',
      out,
    ])
      .toString()
      .trim();
    expect(codec).toBe('h264,Constrained Baseline');
  });

  it('a range with no footage is a no_footage error and writes no file', async () => {
    const out = join(store.dir, 'none.mp4');
    await expect(
      assembleClip({ index: store.index, camera: 'cam-1', fromMs: BASE + 60_000, toMs: BASE + 70_000, out }),
    ).rejects.toThrow(ClipError);
    expect(() => readFileSync(out)).toThrow();
  });

  it('the export holds clips, a manifest with hashes and source segments, a signature and the public key', async () => {
    const entries = await unzip(zipFile);
    expect([...entries.keys()].sort()).toEqual(
      ['clips/cam-1.mp4', 'clips/cam-2.mp4', 'manifest.json', 'manifest.sig', 'site-ed25519.pub'].sort(),
    );
    expect(manifest).toMatchObject({
      reason: 'case 42',
      incident: 'inc-1',
      exportedBy: { username: 'inv' },
      requested: { from: new Date(BASE + 2500).toISOString(), to: new Date(BASE + 12_000).toISOString() },
      timeZone: 'Asia/Shanghai',
    });
    expect(manifest.cameras.map((c) => [c.camera, c.segments.length])).toEqual([
      ['cam-1', 3],
      ['cam-2', 2],
    ]);
    expect(await verifyExport(zipFile)).toMatchObject({ ok: true, problems: [] });
  });

  it('each exported clip says what wall time it covers: duration, creation time, pieces and gaps', async () => {
    const entries = await unzip(zipFile);
    const iso = (ms: number) => new Date(ms).toISOString();
    const [one, two] = manifest.cameras;
    // cam-1: 2 s to 8 s without a break.
    expect(one).toMatchObject({ from: iso(BASE + 2000), to: iso(BASE + 8000), duration: 6, gaps: [] });
    expect(one!.pieces).toEqual([
      { from: iso(BASE + 2000), to: iso(BASE + 8000), mediaStart: 0, duration: 6 },
    ]);
    // cam-2: 2-4 s, then 10-12 s: 4 s of video over a 10 s span, and the gap with its reason.
    expect(two).toMatchObject({ from: iso(BASE + 2000), to: iso(BASE + 12_000), duration: 4 });
    expect(two!.pieces).toEqual([
      { from: iso(BASE + 2000), to: iso(BASE + 4000), mediaStart: 0, duration: 2 },
      { from: iso(BASE + 10_000), to: iso(BASE + 12_000), mediaStart: 2, duration: 2 },
    ]);
    expect(two!.gaps).toEqual([{ from: iso(BASE + 4000), to: iso(BASE + 10_000), reason: 'not recording' }]);
    for (const c of manifest.cameras) {
      const file = join(store.dir, `exported-${c.camera}.mp4`);
      writeFileSync(file, entries.get(c.file)!);
      const t = await probeTiming(file);
      expect(t.start).toBe(0);
      expect(t.duration).toBeCloseTo(c.duration, 2);
      expect(t.packets).toHaveLength(c.duration * 25);
      expect(t.monotonic).toBe(true);
      expect(t.maxStep).toBeCloseTo(0.04, 3); // no frozen frame where the gap was
      // MP4 keeps whole seconds in creation_time; the manifest has the millisecond.
      expect(t.creationTime).toBe(`${c.from.slice(0, 19)}.000000Z`);
      expect(t.comment).toBe(`wall-clock start ${c.from}`);
      expect(t.chapters.map((ch) => [ch.start, ch.end])).toEqual(
        c.pieces.map((p) => [p.mediaStart, p.mediaStart + p.duration]),
      );
    }
    // The wall-clock track jumps over the gap: media 2 s is 11:04:15 in Beijing, 8 s after 11:04:07.
    const cues = await clockCues(join(store.dir, 'exported-cam-2.mp4'));
    expect(cues.find((c) => c.at === 0)?.text).toBe('2026-01-02 11:04:07 +08:00');
    expect(cues.find((c) => c.at === 2)?.text).toBe('2026-01-02 11:04:15 +08:00');
  });

  it.each([
    [
      'a tampered clip',
      (m: Map<string, Buffer>) => {
        const b = Buffer.from(m.get('clips/cam-2.mp4')!);
        b[b.length - 10] = (b[b.length - 10]! + 1) % 256;
        m.set('clips/cam-2.mp4', b);
      },
      /^clips\/cam-2\.mp4: SHA-256/,
    ],
    [
      'a tampered manifest',
      (m: Map<string, Buffer>) => {
        m.set('manifest.json', Buffer.from(m.get('manifest.json')!.toString().replace('case 42', 'case 43')));
      },
      /^manifest\.sig: the Ed25519 signature/,
    ],
    [
      'an extra file',
      (m: Map<string, Buffer>) => {
        m.set('clips/extra.mp4', Buffer.from('x'));
      },
      /^clips\/extra\.mp4: in the export but not listed/,
    ],
    [
      'a missing clip',
      (m: Map<string, Buffer>) => {
        m.delete('clips/cam-1.mp4');
      },
      /^clips\/cam-1\.mp4: listed in the manifest but missing/,
    ],
  ])('verify names %s', async (_what, edit, problem) => {
    const bad = join(store.dir, `bad-${Math.random()}.zip`);
    await rezip(zipFile, bad, edit);
    const res = await verifyExport(bad);
    expect(res.ok).toBe(false);
    expect(res.problems.some((p) => problem.test(p))).toBe(true);
  });

  it('verify against the wrong public key fails naming the signature', async () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const res = await verifyExport(zipFile, { publicKeyPem: other });
    expect(res.ok).toBe(false);
    expect(res.problems[0]).toMatch(/manifest\.sig: the Ed25519 signature .* given public key/);
  });
});

import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../src/log.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { CameraRecorder } from '../../streams/recorder.js';
import { resolveInside } from '../../streams/segment-paths.js';
import { API_CITY_YAML } from '../api/api-fixture.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { feedTestStream, probe } from '../streams/recording-fixture.js';
import { oneByteRetention } from './recording-fixture.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A paused reader of `/api/recordings/play`: the response, once its first bytes arrived. */
interface OpenPlayback {
  res: IncomingMessage;
  /** Resumes reading; resolves with how the transfer ended and the file the bytes went to. */
  finish(): Promise<{ ended: 'end' | 'aborted'; file: string }>;
}

/**
 * A playback in progress when retention runs (the investigator's defect): the range's footage is
 * about 50 MB of lossless noise, far more than a pipe and a loopback socket hold, so while the reader
 * is paused ffmpeg has read only the first segments. Retention then purges the footage ahead of it,
 * as a byte cap or a disk purge does, and the reader goes on.
 */
describe('a playback in progress keeps the footage it has not reached', () => {
  let svc: TestService;
  let rec: RecordingPart;
  let storage: string;
  let base: number;
  let token: string;
  let out: string;
  /** The service's error log, one JSON line each. */
  const errors: string[] = [];

  const record = async (camera: string, from: number, seconds: number, noisy: boolean) => {
    const last = await rec.index.lastSegment(camera);
    const r = new CameraRecorder(
      camera,
      {
        index: rec.index,
        writer: rec.writer,
        storageFor: () => storage,
        segmentSeconds: 2,
        log: silentLogger,
      },
      last?.endMs,
    );
    await feedTestStream(r, {
      baseMs: from,
      seconds,
      // Lossless noise: about 8 MB a 2 s segment, so buffers cannot hide how far ffmpeg has read.
      ...(noisy ? { encoderArgs: ['-vf', 'noise=alls=100:allf=t', '-qp', '0'] } : {}),
    });
    r.onEnd('camera unplugged');
    await r.stop();
  };

  beforeAll(async () => {
    svc = await startTestService({
      yaml: `${API_CITY_YAML}\nrecording: { enabled: false }\n`,
      log: createLogger({ level: 'error', destination: { write: (l: string) => void errors.push(l) } }),
    });
    rec = svc.svc.part<RecordingPart>('recording');
    storage = `${svc.dataDir}/recordings`;
    base = Math.floor(Date.now() / 1000) * 1000 - 600_000;
    // Older footage of another camera on the same storage path: what a cap can take instead.
    await record('cam-bank', base - 60_000, 8, false);
    await record('cam-shop', base, 12, true);
    token = await svc.login('inv-city', 'investigator', 'city');
    out = mkdtempSync(join(tmpdir(), 'sharpeyes-hold-'));
  }, 90_000);
  afterAll(async () => {
    await svc?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  /** Retention with a byte cap of one byte on the storage path: every unprotected segment is over it. */
  const purge = () => oneByteRetention(rec.index, storage).runOnce();

  const open = (camera: string, from: number, to: number, name: string) =>
    new Promise<OpenPlayback>((resolve, reject) => {
      const url = `${svc.httpUrl}/api/recordings/play?camera=${camera}&from=${iso(from)}&to=${iso(to)}`;
      get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        const file = join(out, name);
        const sink = createWriteStream(file);
        res.once('data', (first: Buffer) => {
          res.pause();
          sink.write(first);
          resolve({
            res,
            finish: () =>
              new Promise((done) => {
                let ended: 'end' | 'aborted' | undefined;
                const settle = (how: 'end' | 'aborted') => {
                  ended ??= how;
                  sink.end(() => done({ ended: ended ?? how, file }));
                };
                res.on('data', (c: Buffer) => sink.write(c));
                res.once('end', () => settle('end'));
                res.once('aborted', () => settle('aborted'));
                res.once('error', () => settle('aborted'));
                res.resume();
              }),
          });
        });
      }).once('error', reject);
    });

  it('retention purging the range mid-play leaves the stream whole, and takes other footage for its cap', async () => {
    const shop = await rec.index.segments('cam-shop', base, base + 12_000);
    expect(shop).toHaveLength(6);
    const bank = await rec.index.segments('cam-bank', base - 60_000, base);
    expect(bank.length).toBeGreaterThan(0);
    const views = (await svc.svc.need('audit').list({ action: 'footage.view' })).length;

    const play = await open('cam-shop', base, base + 12_000, 'whole.mp4');
    expect(play.res.statusCode).toBe(200);
    const during = await purge();
    const got = await play.finish();

    expect(got.ended).toBe('end');
    // What the stream delivers covers the wall time of the range: 12 s, 300 frames at 25 fps.
    const p = await probe(got.file);
    expect(p.frames).toBe(300);
    expect(p.duration).toBeCloseTo(12, 1);
    // The cap still took bytes while the range was held: the other camera's older footage.
    expect(during.byBytes).toBe(bank.length);
    expect(bank.every((s) => !existsSync(resolveInside(s.storage, s.path)))).toBe(true);
    // The view was audited once, as before.
    expect(await svc.svc.need('audit').list({ action: 'footage.view' })).toHaveLength(views + 1);

    // Once the stream has ended, the hold is gone and the cap takes the played footage too.
    const after = await purge();
    expect(after.byBytes).toBe(shop.length);
    expect(shop.every((s) => !existsSync(resolveInside(s.storage, s.path)))).toBe(true);
  }, 60_000);

  it('footage lost mid-play despite the hold (removed by hand) aborts the transfer, never ends it as complete', async () => {
    await record('cam-shop', base + 60_000, 12, true);
    const segs = await rec.index.segments('cam-shop', base + 60_000, base + 72_000);
    expect(segs).toHaveLength(6);
    const play = await open('cam-shop', base + 60_000, base + 72_000, 'cut.mp4');
    expect(play.res.statusCode).toBe(200);
    // Not retention: someone deletes files under the index (a disk fault looks the same).
    for (const s of segs.slice(3)) await unlink(resolveInside(s.storage, s.path));
    const got = await play.finish();
    // A truncated transfer, which a player reports as a network error, not a clip that just ends.
    expect(got.ended).toBe('aborted');
    // What was read before the gap still arrived: the first three segments, 6 s.
    const p = await probe(got.file);
    expect(p.frames).toBe(150);
    // The log names the footage that went missing.
    const line = errors.find((l) => l.includes('lost footage mid-stream'));
    expect(line).toBeDefined();
    const logged = JSON.parse(line!) as { camera: string; missing: { start: string }[] };
    expect(logged.camera).toBe('cam-shop');
    expect(logged.missing.map((m) => m.start)).toEqual(segs.slice(3).map((s) => iso(s.startMs)));
  }, 60_000);
});

import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import { urlSource } from '../../streams/ffmpeg-upstream.js';
import {
  type MediaFragment,
  type MediaInit,
  retryCap,
  type StreamConsumer,
  StreamHub,
  type UpstreamState,
} from '../../streams/upstream-hub.js';

/** ffmpeg processes that are children of this test process. */
function ffmpegChildren(): number[] {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    return out
      .split('\n')
      .filter((l) => l.trim().endsWith('ffmpeg'))
      .map((l) => Number.parseInt(l, 10));
  } catch {
    return []; // ps exits 1 when there are no children at all
  }
}

async function waitFor(what: string, pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

class Recorder implements StreamConsumer {
  inits: MediaInit[] = [];
  frags: MediaFragment[] = [];
  states: UpstreamState[] = [];
  ended: string | undefined;
  /** Whether the first fragment after every init was a keyframe. */
  startsAtKeyframe = true;
  private afterInit = false;
  onInit(i: MediaInit) {
    this.inits.push(i);
    this.afterInit = true;
  }
  onFragment(f: MediaFragment) {
    if (this.afterInit && !f.keyframe) this.startsAtKeyframe = false;
    this.afterInit = false;
    this.frags.push(f);
  }
  onState(s: UpstreamState) {
    this.states.push(s);
  }
  onEnd(reason: string) {
    this.ended = reason;
  }
}

let source: RtspSource;
let hub: StreamHub;
let resolves = 0;

beforeAll(async () => {
  source = await startRtspSource({ width: 320, height: 240, fps: 15 });
});
afterAll(async () => {
  await source?.stop();
});
afterEach(async () => {
  await hub?.stop();
  expect(ffmpegChildren()).toEqual([]);
});

function makeHub(paths: Record<string, string | undefined> = { 'cam-1/main': 'main', 'cam-1/sub': 'sub' }) {
  resolves = 0;
  hub = new StreamHub({
    lingerMs: 0,
    retryMs: { initial: 100, max: 400 },
    stallMs: 4000,
    resolve: async (camera, stream) => {
      resolves++;
      const p = paths[`${camera}/${stream}`];
      return p ? urlSource(source.url(p)) : undefined;
    },
  });
  return hub;
}

describe('retryCap: how long a failing upstream may wait between retries', () => {
  it('the configured cap for two minutes, three times it to ten, six times beyond', () => {
    expect([0, 119_999, 120_000, 599_999, 600_000, 86_400_000].map((ms) => retryCap(ms, 10_000))).toEqual([
      10_000, 10_000, 30_000, 30_000, 60_000, 60_000,
    ]);
  });
});

describe('StreamHub on a real RTSP source', () => {
  it('fans one ffmpeg out to several consumers, opens on demand and closes after the last', async () => {
    makeHub();
    expect(hub.status('cam-1')).toEqual({ main: 'idle', sub: 'idle', consumers: 0 });
    expect(ffmpegChildren()).toEqual([]);
    const consumers = [new Recorder(), new Recorder(), new Recorder()];
    const offs = consumers.map((c, i) => hub.subscribe('cam-1', 'sub', c, `viewer-${i}`));
    await waitFor('fragments at every consumer', () => consumers.every((c) => c.frags.length >= 3));
    expect(ffmpegChildren()).toHaveLength(1);
    expect(resolves).toBe(1);
    expect(hub.status('cam-1')).toEqual({ main: 'idle', sub: 'live', consumers: 3 });
    expect(hub.upstreams()[0]?.consumers).toEqual(['viewer-0', 'viewer-1', 'viewer-2']);
    for (const c of consumers) {
      expect(c.inits[0]?.codec).toMatch(/^video\/mp4; codecs="avc1\.42[0-9a-f]{4}"$/);
      expect(c.startsAtKeyframe).toBe(true);
      expect(c.states).toContain('live');
    }
    // Every consumer sees the same fragments (one upstream), in order.
    const [a, b] = consumers;
    const common = b!.frags.map((f) => f.decodeTime);
    expect(a!.frags.map((f) => f.decodeTime)).toEqual(expect.arrayContaining(common));

    // A second stream of the same camera is its own upstream.
    const main = new Recorder();
    const offMain = hub.subscribe('cam-1', 'main', main, 'recorder');
    await waitFor('main fragments', () => main.frags.length >= 1);
    expect(ffmpegChildren()).toHaveLength(2);

    offs[0]!();
    offs[1]!();
    offs[1]!(); // unsubscribing twice is harmless
    expect(hub.status('cam-1').consumers).toBe(2);
    expect(ffmpegChildren()).toHaveLength(2);
    offs[2]!();
    await waitFor('sub upstream closed', () => ffmpegChildren().length === 1);
    expect(hub.status('cam-1')).toEqual({ main: 'live', sub: 'idle', consumers: 1 });
    offMain();
    await waitFor('every upstream closed', () => ffmpegChildren().length === 0);
    expect(hub.status('cam-1')).toEqual({ main: 'idle', sub: 'idle', consumers: 0 });
    expect(hub.upstreams()).toEqual([]);
  });

  it('gives a late subscriber the init segment and then a keyframe fragment', async () => {
    makeHub();
    const first = new Recorder();
    hub.subscribe('cam-1', 'sub', first, 'first');
    await waitFor('a non-key fragment', () => first.frags.some((f) => !f.keyframe));
    const late = new Recorder();
    hub.subscribe('cam-1', 'sub', late, 'late');
    expect(late.inits).toHaveLength(1);
    await waitFor('late fragments', () => late.frags.length >= 2);
    expect(late.frags[0]?.keyframe).toBe(true);
    expect(late.inits[0]?.init.equals(first.inits[0]!.init)).toBe(true);
    expect(ffmpegChildren()).toHaveLength(1);
  });

  it('reconnects after the source drops, and consumers see lost then live with a new init', async () => {
    makeHub();
    const c = new Recorder();
    hub.subscribe('cam-1', 'sub', c, 'viewer');
    await waitFor('live', () => c.frags.length >= 2);
    await source.drop();
    await waitFor('lost', () => hub.status('cam-1').sub === 'lost');
    expect(c.states).toContain('lost');
    // The server still answers (404): retried with ffmpeg, not knocked at.
    await waitFor('a retry', () => (hub.upstreams()[0]?.restarts ?? 0) >= 2);
    expect(hub.upstreams()[0]?.lastError).not.toMatch(/camera unreachable/);
    const before = c.frags.length;
    await source.resume();
    await waitFor('live again', () => c.inits.length >= 2 && c.frags.length > before + 1);
    expect(hub.status('cam-1').sub).toBe('live');
    expect(c.startsAtKeyframe).toBe(true);
    expect(hub.upstreams()[0]?.restarts).toBeGreaterThanOrEqual(1);
    expect(ffmpegChildren()).toHaveLength(1);
  });

  it('a consumer joining while the camera is lost gets no cached GOP: old video is not fresh video', async () => {
    makeHub();
    const c = new Recorder();
    hub.subscribe('cam-1', 'sub', c, 'viewer');
    await waitFor('live', () => c.frags.some((f) => !f.keyframe));
    await source.drop();
    try {
      await waitFor('lost', () => hub.status('cam-1').sub === 'lost');
      // The camera watchdog re-subscribes to a silent camera: before, it was handed the last GOP and
      // took it for the camera's return (video_loss and video_restore every few seconds).
      const late = new Recorder();
      hub.subscribe('cam-1', 'sub', late, 'camera-health');
      await new Promise((r) => setTimeout(r, 300));
      expect(late.frags).toEqual([]);
      expect(late.states.at(-1)).not.toBe('live');
    } finally {
      await source.resume();
    }
  });

  it('knocks before spawning again: a camera that does not answer costs a socket, not an ffmpeg, until it is back', async () => {
    // A port nothing listens on (a switch down, a camera powered off).
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as { port: number }).port;
    await new Promise((r) => free.close(r));
    const spawned: string[] = [];
    const warned: number[] = [];
    hub = new StreamHub({
      lingerMs: 0,
      retryMs: { initial: 100, max: 400 },
      log: {
        info: (_o, msg) => {
          if (msg === 'streams: opening upstream') spawned.push(msg);
        },
        warn: (o, msg) => {
          if (msg === 'streams: upstream lost, reconnecting') warned.push((o as { attempt: number }).attempt);
        },
      },
      resolve: async () => urlSource(`rtsp://127.0.0.1:${port}/main`),
    });
    const c = new Recorder();
    hub.subscribe('cam-1', 'main', c, 'camera-health');
    let back: RtspSource | undefined;
    try {
      await waitFor('several retries', () => (hub.upstreams()[0]?.restarts ?? 0) >= 5);
      // The first open spawned ffmpeg (it may be a slow camera); the retries only knocked.
      expect(spawned).toHaveLength(1);
      expect(hub.upstreams()[0]?.lastError).toBe(`camera unreachable (ECONNREFUSED 127.0.0.1:${port})`);
      expect(hub.status('cam-1').main).toBe('lost');
      // Said when lost, then ever more seldom: not a line at every retry.
      expect(warned.slice(0, 3)).toEqual([1, 2, 4]);
      expect(warned.every((n) => (n & (n - 1)) === 0)).toBe(true);
      // The camera is back on its port: the next knock is answered, ffmpeg spawned, the consumer fed.
      back = await startRtspSource({ width: 160, height: 120, fps: 10, port, paths: ['main'] });
      await waitFor('live again', () => c.frags.length >= 1);
      expect(hub.status('cam-1').main).toBe('live');
      expect(spawned).toHaveLength(2);
    } finally {
      await hub.stop();
      await back?.stop();
    }
  });

  it('a consumer that leaves a lost camera and comes back before the linger ends gets it opened again', async () => {
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as { port: number }).port;
    await new Promise((r) => free.close(r));
    let opens = 0;
    hub = new StreamHub({
      lingerMs: 5000,
      retryMs: { initial: 100, max: 400 },
      resolve: async () => {
        opens++;
        return urlSource(`rtsp://127.0.0.1:${port}/main`);
      },
    });
    const off = hub.subscribe('cam-1', 'main', new Recorder(), 'viewer');
    await waitFor('lost', () => hub.status('cam-1').main === 'lost');
    off();
    // Its retry comes and goes with nobody subscribed; the upstream lingers.
    await new Promise((r) => setTimeout(r, 500));
    expect(opens).toBe(1);
    const back = new Recorder();
    hub.subscribe('cam-1', 'main', back, 'viewer');
    await waitFor('opened again', () => opens >= 2);
    await waitFor('retrying', () => opens >= 3);
  });

  it('retries a camera without a stream URL and ends consumers when stopped', async () => {
    makeHub({});
    const c = new Recorder();
    hub.subscribe('cam-9', 'main', c, 'viewer');
    await waitFor('retries', () => resolves >= 3);
    expect(hub.status('cam-9').main).toBe('lost');
    expect(hub.upstreams()[0]?.lastError).toMatch(/no main stream URL for camera cam-9/);
    expect(ffmpegChildren()).toEqual([]);
    await hub.stop();
    expect(c.ended).toMatch(/stopped/);
    const after = new Recorder();
    hub.subscribe('cam-1', 'sub', after, 'too-late');
    expect(after.ended).toMatch(/stopping/);
  });

  it('a consumer that throws is dropped and told so (the watchdog then subscribes again); the others go on', async () => {
    makeHub();
    const good = new Recorder();
    hub.subscribe('cam-1', 'sub', good, 'viewer');
    const bad = new Recorder();
    bad.onFragment = () => {
      throw new Error('boom');
    };
    hub.subscribe('cam-1', 'sub', bad, 'camera-health');
    await waitFor('dropped', () => bad.ended !== undefined);
    expect(bad.ended).toBe('consumer failed, dropped by the stream hub');
    expect(hub.upstreams()[0]?.consumers).toEqual(['viewer']);
    const before = good.frags.length;
    await waitFor('the viewer goes on', () => good.frags.length > before + 2);
  });

  it('kills ffmpeg on stop (SIGTERM, then SIGKILL)', async () => {
    makeHub();
    const c = new Recorder();
    hub.subscribe('cam-1', 'main', c, 'viewer');
    await waitFor('live', () => c.frags.length >= 1);
    expect(ffmpegChildren()).toHaveLength(1);
    await hub.stop();
    expect(ffmpegChildren()).toEqual([]);
    expect(c.ended).toBe('stream hub stopped');
  });
});

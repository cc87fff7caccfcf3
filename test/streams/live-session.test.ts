import { describe, expect, it } from 'vitest';
import { type LiveMessage, LiveSession, type LiveSink } from '../../streams/live-session.js';
import type { MediaFragment } from '../../streams/upstream-hub.js';

class FakeSink implements LiveSink {
  bufferedAmount = 0;
  texts: LiveMessage[] = [];
  binaries: Buffer[] = [];
  closed: { code: number; reason: string } | undefined;
  sendText(t: string) {
    this.texts.push(JSON.parse(t) as LiveMessage);
  }
  sendBinary(d: Buffer, sent: () => void) {
    this.binaries.push(d);
    sent();
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
  }
}

const frag = (n: number, keyframe: boolean): MediaFragment => ({
  data: Buffer.from(`frag-${n}`),
  keyframe,
  wallclock: 1000 + n,
  decodeTime: n * 100,
  timescale: 1000,
});

/** K = keyframe fragment, f = other fragment; the number is the queued bytes when it arrives. */
function play(sequence: [string, number][], highWaterBytes = 1000) {
  const sink = new FakeSink();
  const sent: number[] = [];
  const s = new LiveSession(sink, {
    camera: 'cam-1',
    stream: 'sub',
    meta: true,
    highWaterBytes,
    onSent: (ms) => sent.push(ms),
    now: () => 2000,
  });
  s.onInit({ codec: 'video/mp4; codecs="avc1.42c01e"', init: Buffer.from('init') });
  sequence.forEach(([kind, queued], i) => {
    sink.bufferedAmount = queued;
    s.onFragment(frag(i, kind === 'K'));
  });
  const delivered = sink.binaries.slice(1).map((b) => Number(b.toString().slice(5)));
  return { sink, delivered, dropped: s.dropped, sent };
}

describe('LiveSession backpressure', () => {
  it.each<[string, [string, number][], number[]]>([
    [
      'a fast viewer gets everything',
      [
        ['K', 0],
        ['f', 0],
        ['f', 10],
        ['K', 0],
        ['f', 0],
      ],
      [0, 1, 2, 3, 4],
    ],
    [
      'a slow viewer skips to the next keyframe',
      [
        ['K', 0],
        ['f', 0],
        ['f', 5000],
        ['f', 0],
        ['K', 0],
        ['f', 0],
      ],
      [0, 1, 4, 5],
    ],
    [
      'a keyframe is held back while the queue is still over half the high water',
      [
        ['K', 0],
        ['f', 2000],
        ['K', 900],
        ['f', 0],
        ['K', 100],
        ['f', 0],
      ],
      [0, 4, 5],
    ],
    [
      'nothing is skipped below the high water',
      [
        ['K', 999],
        ['f', 999],
        ['f', 999],
      ],
      [0, 1, 2],
    ],
  ])('%s', (_name, sequence, expected) => {
    const { delivered, dropped, sink } = play(sequence);
    expect(delivered).toEqual(expected);
    expect(dropped).toBe(sequence.length - expected.length);
    // A header (arrival time, skipped so far) precedes each keyframe fragment.
    const headers = sink.texts.filter((t) => t.type === 'fragment');
    const keys = expected.filter((i) => sequence[i]?.[0] === 'K');
    expect(headers.map((h) => (h.type === 'fragment' ? h.decodeTime / 100 : -1))).toEqual(keys);
  });

  it('sends the codec first, then the init, and reports the hub-to-socket time of each fragment', () => {
    const { sink, sent } = play([['K', 0]]);
    expect(sink.texts[0]).toMatchObject({
      type: 'init',
      codec: 'video/mp4; codecs="avc1.42c01e"',
      camera: 'cam-1',
    });
    expect(sink.binaries[0]?.toString()).toBe('init');
    expect(sent).toEqual([1000]);
  });

  it('closes a viewer that is hopelessly behind', () => {
    const { sink, delivered } = play([
      ['K', 0],
      ['f', 20 * 1024 * 1024],
      ['K', 0],
    ]);
    expect(sink.closed?.code).toBe(1008);
    expect(delivered).toEqual([0]);
    expect(sink.texts.at(-1)).toMatchObject({ type: 'end' });
  });

  it('sends no state before the codec message, and nothing after it is detached', () => {
    const sink = new FakeSink();
    const s = new LiveSession(sink, { camera: 'cam-1', stream: 'sub', meta: true });
    s.onState('connecting');
    expect(sink.texts).toEqual([]);
    s.onInit({ codec: 'video/mp4; codecs="avc1.42c01e"', init: Buffer.from('init') });
    s.onState('lost', 'gone');
    expect(sink.texts[1]).toEqual({ type: 'state', state: 'lost', detail: 'gone' });
    s.detach();
    s.onFragment(frag(0, true));
    expect(sink.binaries).toHaveLength(1);
  });

  it('hands a keyframe header and its fragment over together when the sink can write them at once', () => {
    const sink = new FakeSink();
    const pairs: [LiveMessage, string][] = [];
    const paired: LiveSink = {
      get bufferedAmount() {
        return sink.bufferedAmount;
      },
      sendText: (t) => sink.sendText(t),
      sendBinary: (d, sent) => sink.sendBinary(d, sent),
      sendTextThenBinary: (t, d, sent) => {
        pairs.push([JSON.parse(t) as LiveMessage, d.toString()]);
        sent();
      },
      close: (code, reason) => sink.close(code, reason),
    };
    const sent: number[] = [];
    const s = new LiveSession(paired, {
      camera: 'cam-1',
      stream: 'sub',
      meta: true,
      onSent: (ms) => sent.push(ms),
      now: () => 2000,
    });
    s.onInit({ codec: 'video/mp4; codecs="avc1.42c01e"', init: Buffer.from('init') });
    for (const [i, k] of [true, false, false, true].entries()) s.onFragment(frag(i, k));
    expect(pairs).toEqual([
      [
        { type: 'fragment', wallclock: 1000, decodeTime: 0, timescale: 1000, keyframe: true, skipped: 0 },
        'frag-0',
      ],
      [
        { type: 'fragment', wallclock: 1003, decodeTime: 300, timescale: 1000, keyframe: true, skipped: 0 },
        'frag-3',
      ],
    ]);
    expect(sink.binaries.map(String)).toEqual(['init', 'frag-1', 'frag-2']);
    expect(sink.texts.map((t) => t.type)).toEqual(['init']);
    expect(sent).toEqual([1000, 999, 998, 997]);
  });
});

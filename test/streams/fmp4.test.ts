import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Fmp4Error,
  Fmp4Splitter,
  isSyncFlags,
  type ParsedFragment,
  type ParsedInit,
} from '../../streams/fmp4.js';
import { firstDecodeTime, rebaseFragment, rebaseSegmentFile } from '../../streams/fmp4-rebase.js';

const run = promisify(execFile);
let dir: string;

/** Encodes 3 s of testsrc at 25 fps, a keyframe every 25 frames, into fragmented MP4. */
async function encode(name: string, movflags: string, extra: string[] = []): Promise<Buffer> {
  const out = join(dir, `${name}.mp4`);
  await run('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-t', '3'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-sc_threshold', '0'],
    ...extra,
    ...['-f', 'mp4', '-movflags', movflags, out],
  ]);
  return readFileSync(out);
}

function split(bytes: Buffer, chunk: number): { inits: ParsedInit[]; frags: ParsedFragment[] } {
  const inits: ParsedInit[] = [];
  const frags: ParsedFragment[] = [];
  const s = new Fmp4Splitter({ onInit: (i) => inits.push(i), onFragment: (f) => frags.push(f) });
  for (let i = 0; i < bytes.length; i += chunk) s.push(bytes.subarray(i, i + chunk));
  return { inits, frags };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sharpeyes-fmp4-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Fmp4Splitter on real ffmpeg output', () => {
  it.each([
    // name, movflags, extra args, fragments expected, keyframe fragments expected
    [
      'keyframe+200ms',
      'frag_keyframe+empty_moov+default_base_moof',
      ['-g', '25', '-frag_duration', '200000'],
      15,
      3,
    ],
    ['keyframe only', 'frag_keyframe+empty_moov+default_base_moof', ['-g', '25'], 3, 3],
    ['no default_base_moof', 'frag_keyframe+empty_moov', ['-g', '25', '-frag_duration', '200000'], 15, 3],
    ['every frame', 'empty_moov+default_base_moof+frag_every_frame', ['-g', '25'], 75, 3],
    ['cmaf', 'cmaf', ['-g', '25', '-frag_duration', '200000'], 15, 3],
    ['all intra (tfhd default flags)', 'frag_keyframe+empty_moov+default_base_moof', ['-g', '1'], 75, 75],
  ])('%s', async (name, movflags, extra, fragments, keyframes) => {
    const bytes = await encode(name.replace(/\W+/g, '-'), movflags, extra);
    for (const chunk of [7, 1500, bytes.length]) {
      const { inits, frags } = split(bytes, chunk);
      expect(inits).toHaveLength(1);
      const init = inits[0]!;
      expect(init.codec).toMatch(/^avc1\.[0-9a-f]{6}$/);
      expect(init.mime).toBe(`video/mp4; codecs="${init.codec}"`);
      expect(init.data.toString('latin1', 4, 8)).toBe('ftyp');
      expect(frags.length).toBeGreaterThanOrEqual(fragments - 1);
      expect(frags.length).toBeLessThanOrEqual(fragments + 1);
      expect(frags.filter((f) => f.keyframe)).toHaveLength(keyframes);
      // GOP is exactly one second: a fragment starts with a keyframe iff its decode time is on a second.
      for (const f of frags) {
        expect(f.keyframe).toBe(keyframes === fragments ? true : f.decodeTime % init.timescale === 0);
        expect(['moof', 'styp']).toContain(f.data.toString('latin1', 4, 8));
      }
      expect(frags.map((f) => f.decodeTime)).toEqual(
        [...frags.map((f) => f.decodeTime)].sort((a, b) => a - b),
      );
      // Each fragment's duration ends where the next begins; 75 frames of 1/25 s in all.
      for (const [i, f] of frags.slice(1).entries())
        expect(frags[i]!.decodeTime + frags[i]!.duration).toBe(f.decodeTime);
      expect(frags.reduce((n, f) => n + f.samples, 0)).toBe(75);
      expect(frags.reduce((n, f) => n + f.duration, 0)).toBe(3 * init.timescale);
      // Nothing is lost: init + fragments are every ftyp/moov/moof/mdat byte of the file.
      const total = init.data.length + frags.reduce((n, f) => n + f.data.length, 0);
      expect(total).toBeLessThanOrEqual(bytes.length);
      expect(total).toBeGreaterThan(bytes.length * 0.95);
    }
  });

  it.each([
    ['baseline 3.0', ['-profile:v', 'baseline', '-level', '3.0'], 'avc1.42c01e'],
    ['high 4.0', ['-preset', 'veryfast', '-profile:v', 'high', '-level', '4.0'], 'avc1.640028'],
  ])('reads the codec string from avcC (%s)', async (_name, extra, codec) => {
    const bytes = await encode(`codec-${codec}`, 'frag_keyframe+empty_moov+default_base_moof', [
      '-g',
      '25',
      ...extra,
    ]);
    const { inits } = split(bytes, 4096);
    expect(inits[0]?.codec).toBe(codec);
    expect(inits[0]?.timescale).toBe(12800);
  });

  it('ignores fragments until an init segment, then a restarted stream yields a new init', async () => {
    const bytes = await encode('restart', 'frag_keyframe+empty_moov+default_base_moof', ['-g', '25']);
    const { inits, frags } = split(Buffer.concat([bytes, bytes]), 1000);
    expect(inits).toHaveLength(2);
    expect(frags).toHaveLength(6);
    const mid = split(bytes.subarray(bytes.indexOf('moof') - 4), 1000);
    expect(mid.inits).toHaveLength(0);
    expect(mid.frags).toHaveLength(0);
  });

  it.each([
    ['garbage', Buffer.from('\x00\x00\x00\x10\x01\x02\x03\x04hello world!', 'latin1')],
    ['size 0 box', Buffer.from('\x00\x00\x00\x00mdat', 'latin1')],
    ['impossible size', Buffer.from('\x00\x00\x00\x04ftyp', 'latin1')],
  ])('rejects a broken stream (%s)', (_name, bytes) => {
    const s = new Fmp4Splitter({ onInit: () => {}, onFragment: () => {} });
    expect(() => s.push(bytes)).toThrow(Fmp4Error);
  });

  it('rebases a fragment to a new decode time in a copy, leaving the shared buffer alone', async () => {
    const bytes = await encode('rebase', 'frag_keyframe+empty_moov+default_base_moof', ['-g', '25']);
    const { frags } = split(bytes, 4096);
    const second = frags[1]!;
    const before = Buffer.from(second.data);
    const moved = rebaseFragment(second.data, 0);
    expect(second.data.equals(before)).toBe(true);
    expect(firstDecodeTime(moved)).toBe(0);
    expect(firstDecodeTime(second.data)).toBe(second.decodeTime);
    expect(moved.byteOffset).toBe(0);
    expect(moved.buffer.byteLength).toBe(moved.length); // its own ArrayBuffer: transferable
    expect(() => rebaseFragment(Buffer.from('\x00\x00\x00\x08free', 'latin1'), 0)).toThrow(Fmp4Error);
  });

  it('rebases a whole legacy segment file so it starts at zero', async () => {
    const bytes = await encode('legacy', 'frag_keyframe+empty_moov+default_base_moof', ['-g', '25']);
    const { inits, frags } = split(bytes, 4096);
    // A segment as recorded before issue 14: fragments 2 and 3 kept their place in the stream (1 s).
    const legacy = Buffer.concat([inits[0]!.data, frags[1]!.data, frags[2]!.data]);
    expect(rebaseSegmentFile(legacy)).toBe(frags[1]!.decodeTime);
    const out = split(legacy, 4096).frags;
    expect(out.map((f) => f.decodeTime)).toEqual([0, frags[2]!.decodeTime - frags[1]!.decodeTime]);
  });

  it.each([
    [0x02000000, true],
    [0x01010000, false],
    [0x00000000, true],
    [0x00010000, false],
  ])('sample flags %s → sync %s', (flags, sync) => {
    expect(isSyncFlags(flags)).toBe(sync);
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { HELPER_NICE } from '../../src/util/helper-threads.js';
import { SegmentWriter } from '../../streams/segment-writer.js';
import { childThreadNice } from '../helpers/thread-nice.js';

/** A buffer that owns its ArrayBuffer (transferable), as the recorder's rebased copies do. */
const own = (text: string) => {
  const b = Buffer.allocUnsafeSlow(text.length);
  b.write(text, 'latin1');
  return b;
};

describe('segment writer thread', () => {
  let dir: string;
  let writer: SegmentWriter;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-writer-'));
    writer = new SegmentWriter({ log: silentLogger });
  });
  afterEach(async () => {
    await writer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes init and fragments in order, acknowledges them, closes and renames', async () => {
    const acks: number[] = [];
    writer.onWritten = (_id, endMs) => acks.push(endMs);
    const id = writer.open(join(dir, 'a', 'b', '1000.mp4'), Buffer.from('INIT'));
    for (let i = 1; i <= 5; i++) expect(writer.append(id, own(`frag${i}`), 1000 + i * 200)).toBe(true);
    const closed = await writer.close(id, join(dir, 'a', 'b', '990.mp4'));
    expect(closed).toEqual({ file: join(dir, 'a', 'b', '990.mp4'), bytes: 29, endMs: 2000 });
    expect(readFileSync(closed.file, 'latin1')).toBe('INITfrag1frag2frag3frag4frag5');
    expect(existsSync(join(dir, 'a', 'b', '1000.mp4'))).toBe(false);
    // One batch, one answer: the file's latest write (what a clip waiting for footage needs).
    expect(acks).toEqual([2000]);
    expect(writer.backlog).toBe(0);
  });

  it('a file that cannot be opened is reported, refuses appends and closes with the error', async () => {
    writeFileSync(join(dir, 'plain'), 'x');
    const id = writer.open(join(dir, 'plain', 'sub', '1.mp4'), Buffer.from('INIT'));
    // The thread reports it; on a loaded machine that can take longer than poll's default second.
    await expect.poll(() => writer.failed(id)?.code, { timeout: 10_000 }).toBe('ENOTDIR');
    expect(writer.append(id, own('frag'), 10)).toBe(false);
    expect(await writer.close(id)).toMatchObject({ bytes: 0, endMs: 0, error: { code: 'ENOTDIR' } });
  });

  it('an existing file is never overwritten (exclusive open)', async () => {
    const file = join(dir, '5.mp4');
    writeFileSync(file, 'OLD');
    const id = writer.open(file, Buffer.from('NEW'));
    expect(await writer.close(id)).toMatchObject({ error: { code: 'EEXIST' } });
    expect(readFileSync(file, 'latin1')).toBe('OLD');
  });

  it('posts a batch per window: 32 cameras of 200 ms fragments are a few messages, in order per file', async () => {
    const acks = new Map<number, number[]>();
    writer.onWritten = (id, endMs) => acks.set(id, [...(acks.get(id) ?? []), endMs]);
    const ids = Array.from({ length: 32 }, (_, c) => writer.open(join(dir, `cam-${c}.mp4`), own(`I${c};`)));
    // One second of fragments, every camera's interleaved as they come off 32 pipes.
    for (let f = 1; f <= 5; f++)
      for (const [c, id] of ids.entries()) expect(writer.append(id, own(`f${f}c${c};`), f * 200)).toBe(true);
    await expect.poll(() => [...acks.values()].filter((a) => a.at(-1) === 1000).length).toBe(32);
    // 192 requests; one posted each would be 192 messages (and 160 answers).
    expect(writer.messages).toBeLessThanOrEqual(2);
    for (const [c, id] of ids.entries()) {
      expect(acks.get(id)!.every((ms, i, a) => i === 0 || ms > a[i - 1]!)).toBe(true);
      const closed = await writer.close(id);
      expect(readFileSync(closed.file, 'latin1')).toBe(`I${c};f1c${c};f2c${c};f3c${c};f4c${c};f5c${c};`);
    }
    expect(writer.backlog).toBe(0);
  });

  it('with batchMs 0 each request is its own message', async () => {
    const each = new SegmentWriter({ log: silentLogger, batchMs: 0 });
    try {
      const id = each.open(join(dir, '9.mp4'), own('I'));
      for (let i = 1; i <= 3; i++) each.append(id, own(`${i}`), i);
      expect((await each.close(id)).bytes).toBe(4);
      expect(each.messages).toBe(5);
    } finally {
      await each.stop();
    }
  });

  it('a batch past batchBytes leaves at once', async () => {
    const big = new SegmentWriter({ log: silentLogger, batchMs: 60_000, batchBytes: 8 });
    try {
      const id = big.open(join(dir, '8.mp4'), own('I'));
      big.append(id, own('12345678'), 5);
      await expect.poll(() => big.written(id)).toEqual({ endMs: 5, bytes: 9 });
      expect(big.messages).toBe(1);
    } finally {
      await big.stop();
    }
  });

  it('refuses appends while more than maxQueuedBytes wait for the thread', async () => {
    const small = new SegmentWriter({ log: silentLogger, maxQueuedBytes: 10 });
    try {
      const id = small.open(join(dir, '7.mp4'), Buffer.from('I'));
      expect(small.append(id, own('12345678'), 1)).toBe(true);
      expect(small.append(id, own('12345678'), 2)).toBe(false);
      await small.close(id);
      expect(small.backlog).toBe(0);
    } finally {
      await small.stop();
    }
  });
});

describe("segment writer thread, started by a process's main thread", () => {
  it("runs HELPER_NICE steps below it from its start, before the service's pass over its threads", () => {
    const { pid, before, after } = childThreadNice(
      join(import.meta.dirname, 'fixtures', 'writer-nice-child.ts'),
    );
    expect(after[String(pid)]).toBe(0);
    // The threads the writer brought: its own, lowered by itself (nothing else lowers here).
    const added = Object.keys(after).filter((tid) => !(tid in before));
    expect(added.map((tid) => after[tid])).toContain(HELPER_NICE);
    expect(Object.values(before).every((n) => n === 0)).toBe(true);
  });
});

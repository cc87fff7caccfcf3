import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { SegmentWriter } from '../../streams/segment-writer.js';

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

  it('writes init and fragments in order, acknowledges each, closes and renames', async () => {
    const acks: number[] = [];
    writer.onWritten = (_id, endMs) => acks.push(endMs);
    const id = writer.open(join(dir, 'a', 'b', '1000.mp4'), Buffer.from('INIT'));
    for (let i = 1; i <= 5; i++) expect(writer.append(id, own(`frag${i}`), 1000 + i * 200)).toBe(true);
    const closed = await writer.close(id, join(dir, 'a', 'b', '990.mp4'));
    expect(closed).toEqual({ file: join(dir, 'a', 'b', '990.mp4'), bytes: 29, endMs: 2000 });
    expect(readFileSync(closed.file, 'latin1')).toBe('INITfrag1frag2frag3frag4frag5');
    expect(existsSync(join(dir, 'a', 'b', '1000.mp4'))).toBe(false);
    expect(acks).toEqual([1200, 1400, 1600, 1800, 2000]);
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

import { children, Fmp4Error, readBoxHeader } from './fmp4.js';

/**
 * Rewrites a fragment's decode time. The stream hub's fragments carry their place in the upstream
 * (a fragment 276 s into the camera stream says 276 s); a recorded segment must start at zero, or
 * every player and the concat demuxer read its duration as 280 s and 4 s of video claim an hour.
 *
 * Returns a copy in its own ArrayBuffer (transferable to the segment writer's thread); the hub's
 * buffer is shared with every live viewer and is never touched.
 */
export function rebaseFragment(data: Buffer, decodeTime: number): Buffer {
  if (!Number.isSafeInteger(decodeTime) || decodeTime < 0)
    throw new Fmp4Error(`cannot set a decode time of ${decodeTime}`);
  const out = Buffer.allocUnsafeSlow(data.length);
  data.copy(out);
  let found = 0;
  let pos = 0;
  while (pos + 8 <= out.length) {
    const box = readBoxHeader(out, pos);
    if (!box || box.end > out.length) break;
    if (box.type === 'moof') {
      for (const traf of children(out, box.body, box.end).filter((b) => b.type === 'traf')) {
        const tfdt = children(out, traf.body, traf.end).find((b) => b.type === 'tfdt');
        if (!tfdt) continue;
        if (out[tfdt.body] === 1) out.writeBigUInt64BE(BigInt(decodeTime), tfdt.body + 4);
        else if (decodeTime <= 0xffffffff) out.writeUInt32BE(decodeTime, tfdt.body + 4);
        else throw new Fmp4Error(`decode time ${decodeTime} does not fit a version 0 tfdt`);
        found++;
      }
    }
    pos = box.end;
  }
  if (found === 0) throw new Fmp4Error('fragment has no tfdt to rebase');
  return out;
}

/** The decode time of the first tfdt in a buffer of fragments, or undefined. */
export function firstDecodeTime(data: Buffer): number | undefined {
  let pos = 0;
  while (pos + 8 <= data.length) {
    const box = readBoxHeader(data, pos);
    if (!box || box.end > data.length) return undefined;
    if (box.type === 'moof') {
      const traf = children(data, box.body, box.end).find((b) => b.type === 'traf');
      const tfdt = traf && children(data, traf.body, traf.end).find((b) => b.type === 'tfdt');
      if (!tfdt) return undefined;
      return data[tfdt.body] === 1
        ? Number(data.readBigUInt64BE(tfdt.body + 4))
        : data.readUInt32BE(tfdt.body + 4);
    }
    pos = box.end;
  }
  return undefined;
}

/**
 * Rebases a whole segment file in place so its first fragment starts at zero (segments recorded
 * before issue 14 carry their place in the upstream). Returns the shift applied, in ticks.
 */
export function rebaseSegmentFile(data: Buffer): number {
  const base = firstDecodeTime(data);
  if (!base) return 0;
  let pos = 0;
  while (pos + 8 <= data.length) {
    const box = readBoxHeader(data, pos);
    if (!box || box.end > data.length) break;
    if (box.type === 'moof') {
      for (const traf of children(data, box.body, box.end).filter((b) => b.type === 'traf')) {
        const tfdt = children(data, traf.body, traf.end).find((b) => b.type === 'tfdt');
        if (!tfdt) continue;
        if (data[tfdt.body] === 1) {
          const t = Number(data.readBigUInt64BE(tfdt.body + 4));
          data.writeBigUInt64BE(BigInt(Math.max(0, t - base)), tfdt.body + 4);
        } else data.writeUInt32BE(Math.max(0, data.readUInt32BE(tfdt.body + 4) - base), tfdt.body + 4);
      }
    }
    pos = box.end;
  }
  return base;
}

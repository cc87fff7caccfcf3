import {
  closeSync,
  existsSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { WriterBatch, WriterReply } from './segment-writer-protocol.js';

/**
 * The segment writer thread: every recorded byte is written here with plain synchronous calls, and
 * each segment is fdatasync'ed at its close. Blocking is what this thread is for: a slow disk stalls
 * this thread (its queue grows, the recorder sees it), never the event loop that PUBACKs panics, and
 * never libuv's four-thread pool that logins (scrypt), static files and DNS share.
 */
interface OpenFile {
  fd: number | undefined;
  file: string;
  bytes: number;
  endMs: number;
  failed?: { message: string; code: string };
}

const port = parentPort;
if (!port) throw new Error('segment-writer: must run as a worker thread');
const files = new Map<number, OpenFile>();

/** One batch's replies, posted together when the batch is done. */
let replies: WriterReply[] = [];
/** Where each file's latest `written` sits in `replies`: a later one replaces it (bytes are cumulative). */
const writtenAt = new Map<number, number>();
const reply = (m: WriterReply) => {
  const at = m.op === 'written' ? writtenAt.get(m.id) : undefined;
  if (at !== undefined) {
    replies[at] = m;
    return;
  }
  if (m.op === 'written') writtenAt.set(m.id, replies.length);
  else writtenAt.delete(m.id);
  replies.push(m);
};

function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

function fail(id: number, f: OpenFile, err: unknown): void {
  const e = err as NodeJS.ErrnoException;
  f.failed = { message: e?.message ?? String(err), code: e?.code ?? 'EIO' };
  if (f.fd !== undefined) {
    try {
      closeSync(f.fd);
    } catch (closeErr) {
      // The descriptor is unusable either way; the write error above is the one reported.
      f.failed.message += ` (close failed too: ${String(closeErr)})`;
    }
    f.fd = undefined;
  }
  reply({ op: 'failed', id, file: f.file, ...f.failed, bytes: f.bytes, endMs: f.endMs });
}

function handle(m: WriterBatch[number]): void {
  if (m.op === 'open') {
    const f: OpenFile = { fd: undefined, file: m.file, bytes: 0, endMs: 0 };
    files.set(m.id, f);
    try {
      mkdirSync(dirname(m.file), { recursive: true });
      f.fd = openSync(m.file, 'wx');
      writeAll(f.fd, m.init);
      f.bytes = m.init.length;
    } catch (err) {
      fail(m.id, f, err);
    }
    return;
  }
  const f = files.get(m.id);
  if (!f) return;
  if (m.op === 'append') {
    if (f.fd === undefined) return; // failed: the recorder learns it from the 'failed' reply
    try {
      writeAll(f.fd, m.data);
      f.bytes += m.data.length;
      f.endMs = m.endMs;
      reply({ op: 'written', id: m.id, endMs: f.endMs, bytes: f.bytes });
    } catch (err) {
      fail(m.id, f, err);
    }
    return;
  }
  files.delete(m.id);
  if (f.fd === undefined) {
    if (!f.failed) return;
    reply({ op: 'failed', id: m.id, file: f.file, ...f.failed, bytes: f.bytes, endMs: f.endMs });
    return;
  }
  try {
    if (m.sync) fdatasyncSync(f.fd);
    closeSync(f.fd);
    f.fd = undefined;
    let file = f.file;
    if (m.renameTo && m.renameTo !== f.file && !existsSync(m.renameTo)) {
      mkdirSync(dirname(m.renameTo), { recursive: true });
      renameSync(f.file, m.renameTo);
      file = m.renameTo;
    }
    reply({ op: 'closed', id: m.id, file, bytes: statSync(file).size, endMs: f.endMs });
  } catch (err) {
    fail(m.id, f, err);
  }
}

port.on('message', (batch: WriterBatch) => {
  for (const m of batch) handle(m);
  if (replies.length === 0) return;
  port.postMessage(replies);
  replies = [];
  writtenAt.clear();
});

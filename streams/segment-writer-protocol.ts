/** Messages between the recorder (main thread) and the segment writer thread. */

export type WriterRequest =
  | { op: 'open'; id: number; file: string; init: Uint8Array }
  | { op: 'append'; id: number; data: Uint8Array; endMs: number }
  /** Flushes (fdatasync unless `sync` is false), closes, and renames to `renameTo` when given. */
  | { op: 'close'; id: number; sync: boolean; renameTo?: string };

/**
 * What crosses to the thread in one postMessage: the requests queued since the last one, in order
 * (the recorder's side batches them, so 32 cameras' fragments cost a few messages a second, not 160).
 */
export type WriterBatch = WriterRequest[];

/** What comes back in one postMessage: one batch's replies, a file's `written` kept only at its latest. */
export type WriterReplies = WriterReply[];

export type WriterReply =
  /** Everything appended to `id` up to `endMs` (wall clock) is in the file. */
  | { op: 'written'; id: number; endMs: number; bytes: number }
  | { op: 'closed'; id: number; file: string; bytes: number; endMs: number }
  /** A write, open or close failed; the file keeps what was written before (`bytes`, up to `endMs`). */
  | { op: 'failed'; id: number; file: string; message: string; code: string; bytes: number; endMs: number };

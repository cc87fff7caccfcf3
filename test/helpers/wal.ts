import { readFileSync } from 'node:fs';

/**
 * The page numbers each commit in a SQLite write-ahead log wrote, in order. After the log's 32-byte
 * header each frame is a 24-byte header (its page number first) and a page; a frame whose header
 * gives the database's size (the next word, not 0) ends a commit.
 */
export function walCommits(walFile: string): number[][] {
  const wal = readFileSync(walFile);
  const pageSize = wal.readUInt32BE(8);
  const commits: number[][] = [];
  let pages: number[] = [];
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    pages.push(wal.readUInt32BE(at));
    if (wal.readUInt32BE(at + 4) !== 0) {
      commits.push(pages);
      pages = [];
    }
  }
  return commits;
}

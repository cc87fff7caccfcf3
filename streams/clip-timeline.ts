import { CONTIGUOUS_MS, type Segment } from './segment-index.js';

/**
 * A clip's map from media time to wall clock. Segments are joined end to end (never padded: a hole
 * in the recording must not become a frozen frame or an invented duration), so a clip is one or more
 * pieces of contiguous recording; between two pieces the wall clock jumps. The jump is shown three
 * ways: a chapter per piece, a wall-clock subtitle track whose time jumps, and the manifest.
 */
export interface Piece {
  startMs: number;
  endMs: number;
  /** Where the piece starts in the clip's media time (seconds). */
  mediaStart: number;
  segments: Segment[];
}

export interface Hole {
  startMs: number;
  endMs: number;
}

/** Groups segments (oldest first) into contiguous pieces and lists the holes between them. */
export function piecesOf(segments: readonly Segment[]): { pieces: Piece[]; holes: Hole[] } {
  const pieces: Piece[] = [];
  const holes: Hole[] = [];
  let media = 0;
  for (const s of segments) {
    const last = pieces[pieces.length - 1];
    if (last && s.startMs - last.endMs <= CONTIGUOUS_MS) {
      last.segments.push(s);
      last.endMs = Math.max(last.endMs, s.endMs);
    } else {
      if (last) holes.push({ startMs: last.endMs, endMs: s.startMs });
      pieces.push({ startMs: s.startMs, endMs: s.endMs, mediaStart: media, segments: [s] });
    }
    media += (s.endMs - s.startMs) / 1000;
  }
  return { pieces, holes };
}

/** Media seconds of a clip of these pieces. */
export const mediaSeconds = (pieces: readonly Piece[]) =>
  pieces.reduce((n, p) => n + p.segments.reduce((m, s) => m + (s.endMs - s.startMs) / 1000, 0), 0);

/** `2026-01-02 11:04:05 +08:00` in `timeZone` (the investigator's clock, not UTC). */
export function wallLabel(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  }).formatToParts(new Date(ms));
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  const offset = p('timeZoneName').replace('GMT', '') || '+00:00';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')} ${offset}`;
}

const srtTime = (s: number) => {
  const ms = Math.max(0, Math.round(s * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(sec)},${pad(ms % 1000, 3)}`;
};

/**
 * The wall-clock track as SubRip: one cue per wall-clock second of each piece, so a player showing
 * subtitles (VLC does by default) shows the time of day, and the time jumps where the recording does.
 */
export function clockSubtitles(pieces: readonly Piece[], timeZone: string): string {
  const cues: string[] = [];
  for (const p of pieces) {
    const pieceEnd = p.mediaStart + mediaSeconds([p]);
    // Cue boundaries on whole wall-clock seconds, so the label changes when the camera's clock does.
    let wall = p.startMs;
    while (wall < p.endMs) {
      const next = Math.min(p.endMs, (Math.floor(wall / 1000) + 1) * 1000);
      const a = p.mediaStart + (wall - p.startMs) / 1000;
      const b = Math.min(pieceEnd, p.mediaStart + (next - p.startMs) / 1000);
      if (b > a)
        cues.push(`${cues.length + 1}\n${srtTime(a)} --> ${srtTime(b)}\n${wallLabel(wall, timeZone)}\n`);
      wall = next;
    }
  }
  return cues.join('\n');
}

const metaEscape = (s: string) => s.replace(/[=;#\\\n]/g, (c) => `\\${c}`);

/** ffmetadata with one chapter per piece, named by its wall-clock range (and the hole before it). */
export function chapters(pieces: readonly Piece[], title: string, timeZone: string): string {
  const lines = [';FFMETADATA1', `title=${metaEscape(title)}`];
  pieces.forEach((p, i) => {
    const prev = pieces[i - 1];
    const hole = prev ? ` (after a ${Math.round((p.startMs - prev.endMs) / 1000)} s gap)` : '';
    lines.push(
      '[CHAPTER]',
      'TIMEBASE=1/1000',
      `START=${Math.round(p.mediaStart * 1000)}`,
      `END=${Math.round((p.mediaStart + mediaSeconds([p])) * 1000)}`,
      `title=${metaEscape(`${wallLabel(p.startMs, timeZone)} – ${wallLabel(p.endMs, timeZone).slice(11)}${hole}`)}`,
    );
  });
  return `${lines.join('\n')}\n`;
}

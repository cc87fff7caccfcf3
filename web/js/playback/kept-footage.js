// What each camera keeps now, as the server says it (`/api/recordings/timeline`): its recorded runs,
// the recorder's gaps and its retention boundary (`retention: {oldestKept, purgedFrom, purgedUntil}`).
// The timeline draws from it, and the player asks it again before it names where footage resumes:
// the segment index the page read may list footage retention has purged since.

import { api } from '../api.js';

const ms = (iso) => (iso ? Date.parse(iso) : undefined);
const spans = (list = []) => list.map((x) => ({ start: Date.parse(x.start), end: Date.parse(x.end) }));

/** `[from, to)` less the spans of `cut` (sorted or not): the holes they leave. */
function holes(from, to, cut) {
  const out = [];
  let at = from;
  for (const c of [...cut].sort((a, b) => a.start - b.start)) {
    if (c.end <= at) continue;
    if (c.start >= to) break;
    if (c.start > at) out.push({ start: at, end: c.start });
    at = Math.max(at, c.end);
  }
  if (at < to) out.push({ start: at, end: to });
  return out;
}

/**
 * The stretches of `[from, to)` a camera recorded and retention purged: inside its purged stretch,
 * neither kept (a run) nor a recorder's gap (nothing recorded, whatever retention did around it).
 */
export function purgedStretches(data, from, to) {
  const a = Math.max(from, ms(data?.retention?.purgedFrom) ?? Number.POSITIVE_INFINITY);
  const b = Math.min(to, ms(data?.retention?.purgedUntil) ?? Number.NEGATIVE_INFINITY);
  if (b <= a) return [];
  return holes(a, b, [...spans(data.runs), ...spans(data.gaps)]);
}

export class KeptFootage {
  /**
   * @param {{range: {from: number, to: number}, onData?: (camera: string, data: object) => void}} o
   */
  constructor(o) {
    this.o = o;
    this.answers = new Map(); // camera -> {data, at}
    this.pending = new Map(); // camera -> promise
  }

  data(camera) {
    return this.answers.get(camera)?.data;
  }

  /**
   * The camera's timeline as the server has it now; an answer younger than `maxAgeMs` is reused, and
   * one on its way is shared (a drag's seeks are one request).
   */
  load(camera, maxAgeMs = 0) {
    const had = this.answers.get(camera);
    if (had && performance.now() - had.at <= maxAgeMs) return Promise.resolve(had.data);
    const on = this.pending.get(camera);
    if (on) return on;
    const asked = performance.now();
    const q = new URLSearchParams({
      camera,
      from: new Date(this.o.range.from).toISOString(),
      to: new Date(this.o.range.to).toISOString(),
    });
    const p = api(`/api/recordings/timeline?${q}`)
      .then((data) => {
        this.answers.set(camera, { data, at: asked });
        this.o.onData?.(camera, data);
        return data;
      })
      .finally(() => this.pending.delete(camera));
    this.pending.set(camera, p);
    return p;
  }

  /**
   * The first moment after `at` the camera keeps footage in the player's range, by the last answer,
   * passing over footage the page found gone meanwhile (`goneEnd(t)`: the end of the gone footage at
   * `t`, or undefined); undefined when none is kept after it.
   */
  nextKept(camera, at, goneEnd = () => undefined) {
    const runs = spans(this.data(camera)?.runs).sort((a, b) => a.start - b.start);
    let from = at;
    for (let i = 0; i < 10_000; i++) {
      const run = runs.find((r) => r.end > from);
      if (!run) return undefined;
      const t = Math.max(run.start, from);
      if (t >= this.o.range.to) return undefined;
      const end = goneEnd(t);
      if (end === undefined) return t;
      from = Math.max(end, t + 1);
    }
    return undefined;
  }
}

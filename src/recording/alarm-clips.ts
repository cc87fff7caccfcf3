import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { assembleClip, footage, snapshotFromClip } from '../../streams/clip-assembler.js';
import type { Recorder } from '../../streams/recorder.js';
import type { SegmentIndex } from '../../streams/segment-index.js';
import { resolveInside, sanitizeName } from '../../streams/segment-paths.js';
import type { Bus } from '../bus.js';
import type { Directory } from '../core/directory.js';
import type { Incident } from '../core/incident-types.js';
import type { Logger } from '../log.js';
import type { Db, SqliteStore } from '../store/sqlite.js';

interface CameraWindow {
  fromMs: number;
  toMs: number;
  /** End of the clip already made for this camera, if any: a later event extends from here. */
  doneMs?: number;
  /** The moment of the first event, for the snapshot. */
  alarmMs: number;
}

interface Pending {
  incidentId: string;
  cameras: Map<string, CameraWindow>;
  timer?: NodeJS.Timeout;
  dueMs: number;
}

/**
 * Alarm clips: when an incident opens (or an event joins it), every camera linked to the events'
 * panel zones gets a clip from `preroll` before the first event to `postroll` after the last, cut from
 * the recorded segments once the postroll has passed. The range is locked as evidence at once, so
 * retention cannot take the preroll while the postroll is still being recorded.
 */
export class AlarmClips {
  private readonly pending = new Map<string, Pending>();
  private readonly offs: (() => void)[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: {
      bus: Bus;
      dir: Directory;
      store: SqliteStore;
      db: Db;
      index: SegmentIndex;
      recorder: Pick<Recorder, 'waitFor' | 'openSegment'> | undefined;
      clipsDir: string;
      segmentSeconds: number;
      log: Logger;
      now?: () => number;
    },
  ) {}

  start(): void {
    this.offs.push(this.o.bus.on('incident:new', (inc) => this.onIncident(inc)));
    this.offs.push(
      this.o.bus.on('incident:update', (inc, change) => {
        if (change.kind === 'event') this.onIncident(inc);
      }),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) off();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    await this.chain;
  }

  /** Resolves once every clip job scheduled so far has finished. */
  settled(): Promise<void> {
    return this.chain;
  }

  private camerasOf(inc: Incident): Map<string, { preroll: number; postroll: number }> {
    const out = new Map<string, { preroll: number; postroll: number }>();
    for (const ev of inc.events) {
      const cams = this.o.dir.panel(ev.device)
        ? this.o.dir.camerasForZone(ev.device, ev.zone)
        : [this.o.dir.camera(ev.device)].filter((c) => c !== undefined);
      for (const c of cams) out.set(c.id, { preroll: c.preroll, postroll: c.postroll });
    }
    return out;
  }

  private onIncident(inc: Incident): void {
    if (inc.events.length === 0) return;
    const times = inc.events.map((e) => Date.parse(e.receivedAt)).filter((t) => Number.isFinite(t));
    const first = Math.min(...times);
    const last = Math.max(...times);
    let p = this.pending.get(inc.id);
    if (!p) {
      p = { incidentId: inc.id, cameras: new Map(), dueMs: 0 };
      this.pending.set(inc.id, p);
    }
    for (const [camera, roll] of this.camerasOf(inc)) {
      const w = p.cameras.get(camera);
      const fromMs = first - roll.preroll * 1000;
      const toMs = last + roll.postroll * 1000;
      if (w && toMs <= w.toMs) continue;
      p.cameras.set(camera, {
        ...(w ?? {}),
        fromMs: w?.fromMs ?? fromMs,
        toMs,
        alarmMs: w?.alarmMs ?? first,
      });
      this.o.index.lock({
        incidentId: inc.id,
        camera,
        startMs: w?.toMs ?? fromMs - this.o.segmentSeconds * 1000,
        endMs: toMs + this.o.segmentSeconds * 1000,
        reason: 'alarm clip',
        createdBy: 'system',
      });
    }
    const due = Math.max(...[...p.cameras.values()].map((w) => w.toMs));
    if (!Number.isFinite(due) || due <= p.dueMs) return;
    p.dueMs = due;
    clearTimeout(p.timer);
    const pend = p;
    p.timer = setTimeout(
      () => {
        this.chain = this.chain.then(() => this.makeClips(pend));
      },
      Math.max(0, due - (this.o.now ?? Date.now)()),
    );
    p.timer.unref();
  }

  private async makeClips(p: Pending): Promise<void> {
    for (const [camera, w] of p.cameras) {
      if (w.doneMs !== undefined && w.doneMs >= w.toMs) continue;
      const fromMs = w.doneMs ?? w.fromMs;
      try {
        // Footage up to the postroll's end may still be in the open segment: its file plays as it is.
        await this.o.recorder?.waitFor(camera, w.toMs, this.o.segmentSeconds * 1000 + 5000);
        const id = randomUUID();
        const dir = join(this.o.clipsDir, sanitizeName(p.incidentId));
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `${id}.mp4`);
        // The snapshot is cut from the segment holding the alarm moment, alongside the clip (not after it).
        const jpg = join(dir, `${id}.jpg`);
        const atAlarm = footage(
          this.o.index,
          camera,
          w.alarmMs,
          w.alarmMs + 1,
          this.o.recorder?.openSegment(camera),
        )[0];
        const snap = atAlarm
          ? snapshotFromClip(
              resolveInside(atAlarm.storage, atAlarm.path),
              jpg,
              Math.max(0, (w.alarmMs - atAlarm.startMs) / 1000),
            )
          : undefined;
        const [clip, snapOk] = await Promise.all([
          assembleClip({
            index: this.o.index,
            camera,
            fromMs,
            toMs: w.toMs,
            out: file,
            open: this.o.recorder?.openSegment(camera),
          }),
          snap?.then(
            () => true,
            (err: unknown) => {
              // The open segment may not be readable yet under load: the finished clip is cut from below.
              this.o.log.warn({ err, camera }, 'recording: snapshot from the live segment failed; using the clip');
              return false;
            },
          ),
        ]);
        if (!snapOk)
          await snapshotFromClip(file, jpg, Math.max(0, (clip.endMs - clip.startMs) / 2000)).catch(
            (err: unknown) => this.o.log.warn({ err, camera }, 'recording: snapshot failed'),
          );
        const url = `/api/clips/${id}`;
        this.o.db
          .prepare(
            'INSERT INTO clips (id, incident_id, camera, url, start, end, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            id,
            p.incidentId,
            camera,
            url,
            new Date(clip.startMs).toISOString(),
            new Date(clip.endMs).toISOString(),
            clip.sha256,
          );
        w.doneMs = clip.endMs;
        const inc = await this.o.store.incidents.get(p.incidentId);
        if (inc)
          this.o.bus.emit('incident:update', inc, { kind: 'clip', camera, url, snapshot: `${url}/snapshot` });
        this.o.log.info({ incident: p.incidentId, camera, clip: id }, 'recording: alarm clip ready');
      } catch (err) {
        this.o.log.error({ err, incident: p.incidentId, camera }, 'recording: alarm clip failed');
      }
    }
    // Events joining within the hour extend the clip; after that the incident is forgotten here.
    setTimeout(() => {
      if (this.pending.get(p.incidentId) === p && p.dueMs <= (this.o.now ?? Date.now)())
        this.pending.delete(p.incidentId);
    }, 3_600_000).unref();
  }
}

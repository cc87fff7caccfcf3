import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { assembleClip, ClipError, footage, snapshotFromClip } from '../../streams/clip-assembler.js';
import type { Recorder } from '../../streams/recorder.js';
import type { SegmentIndex } from '../../streams/segment-index.js';
import { resolveInside, sanitizeName } from '../../streams/segment-paths.js';
import type { Bus } from '../bus.js';
import type { Directory } from '../core/directory.js';
import type { Incident } from '../core/incident-types.js';
import type { Logger } from '../log.js';
import type { DB } from '../store/db-types.js';
import type { Store } from '../store/sqlite.js';
import type {} from './recording-tables.js';

interface CameraWindow {
  fromMs: number;
  toMs: number;
  /** End of the clip already made for this camera, if any: a later event extends from here. */
  doneMs?: number;
  /** The moment of the first event, for the snapshot. */
  alarmMs: number;
}

/** A finished job is kept this long, so a late event extends its clip instead of cutting a new one. */
const FORGET_MS = 3_600_000;

interface Pending {
  incidentId: string;
  cameras: Map<string, CameraWindow>;
  timer?: NodeJS.Timeout;
  dueMs: number;
}

/**
 * Alarm clips: when an incident opens (or an event joins it), every camera linked to the events'
 * panel zones gets a clip from `preroll` before the first event (of the hour before the latest) to
 * `postroll` after the last, cut from the recorded segments once the postroll has passed. The range
 * is locked as evidence at once, so retention cannot take the preroll while the postroll is still
 * being recorded.
 */
export class AlarmClips {
  private readonly pending = new Map<string, Pending>();
  private readonly offs: (() => void)[] = [];
  private readonly forgetTimers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  /**
   * Job-row writes in the order they were made (a bus handler cannot wait for them): on a connection
   * pool a later `persist` must not be overtaken by an earlier one.
   */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: {
      bus: Bus;
      dir: Directory;
      store: Store;
      k: Kysely<DB>;
      index: SegmentIndex;
      recorder: Pick<Recorder, 'waitFor' | 'openSegment' | 'camera'> | undefined;
      clipsDir: string;
      segmentSeconds: number;
      /** Zone of the wall-clock track in the clips. */
      timeZone?: string;
      log: Logger;
      now?: () => number;
    },
  ) {}

  /** Starts (again, on the node taking the clip jobs over: issue 16) from the stored jobs. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.resume();
    this.offs.push(this.o.bus.on('incident:new', (inc) => this.onIncident(inc)));
    this.offs.push(
      this.o.bus.on('incident:update', (inc, change) => {
        // Any change an event caused (a joined event, a confirming camera raising the priority, a
        // transition) brings that event's cameras into the clip, with their evidence lock.
        if (change.kind === 'event' || ('eventKey' in change && change.eventKey)) this.onIncident(inc);
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.offs.splice(0)) off();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    for (const t of this.forgetTimers) clearTimeout(t);
    this.forgetTimers.clear();
    this.pending.clear();
    await this.chain;
    await this.writes;
  }

  /**
   * Picks up the clip jobs a stop or crash left pending (migration 041): each is due at its postroll's
   * end, at once when that has passed. Cameras whose clip was already cut (`doneMs`) are not cut again.
   */
  private async resume(): Promise<void> {
    const now = (this.o.now ?? Date.now)();
    const rows = await this.o.k
      .selectFrom('recording_clip_jobs')
      .select(['incident_id', 'cameras', 'due_ms'])
      .execute();
    for (const r of rows) {
      let cams: Record<string, CameraWindow>;
      try {
        cams = JSON.parse(r.cameras) as Record<string, CameraWindow>;
      } catch (err) {
        // A row this code did not write: nothing can be cut from it; keep it out of the way.
        this.o.log.error({ err, incident: r.incident_id }, 'recording: unreadable clip job dropped');
        this.forget(r.incident_id);
        continue;
      }
      const p: Pending = {
        incidentId: r.incident_id,
        cameras: new Map(Object.entries(cams)),
        dueMs: Number(r.due_ms),
      };
      const open = [...p.cameras.values()].some((w) => w.doneMs === undefined || w.doneMs < w.toMs);
      if (!open && p.dueMs < now - FORGET_MS) {
        this.forget(r.incident_id);
        continue;
      }
      this.pending.set(p.incidentId, p);
      if (open) {
        this.o.log.info(
          { incident: p.incidentId, dueMs: p.dueMs },
          'recording: resuming a pending alarm clip',
        );
        this.schedule(p, p.dueMs);
      } else this.forgetLater(p);
    }
  }

  /** Queues a write of the job row after the ones before it; never rejects (the failure is logged). */
  private write(what: string, incidentId: string, fn: () => Promise<unknown>): Promise<void> {
    this.writes = this.writes.then(fn).then(
      () => undefined,
      (err: unknown) => this.o.log.error({ err, incident: incidentId }, `recording: could not ${what}`),
    );
    return this.writes;
  }

  /** The job row as it is now (the insert or update statement, run in `db`: `k` or a transaction). */
  private jobRow(db: Kysely<DB>, p: Pending) {
    const row = {
      cameras: JSON.stringify(Object.fromEntries(p.cameras)),
      due_ms: p.dueMs,
      updated_at: new Date().toISOString(),
    };
    return db
      .insertInto('recording_clip_jobs')
      .values({ incident_id: p.incidentId, ...row })
      .onConflict((oc) => oc.column('incident_id').doUpdateSet(row));
  }

  private persist(p: Pending): void {
    const q = this.jobRow(this.o.k, p);
    void this.write('save the alarm clip job', p.incidentId, () => q.execute());
  }

  private forget(incidentId: string): void {
    void this.write('drop the alarm clip job', incidentId, () =>
      this.o.k.deleteFrom('recording_clip_jobs').where('incident_id', '=', incidentId).execute(),
    );
  }

  private schedule(p: Pending, due: number): void {
    clearTimeout(p.timer);
    p.timer = setTimeout(
      () => {
        this.chain = this.chain.then(() => this.makeClips(p));
      },
      Math.max(0, due - (this.o.now ?? Date.now)()),
    );
    p.timer.unref();
  }

  /** Events joining within the hour extend the clip; after that the incident is forgotten here. */
  private forgetLater(p: Pending): void {
    // After stop the row stays: the next start finds it done and forgets it when it is old enough.
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.forgetTimers.delete(timer);
      if (this.pending.get(p.incidentId) === p && p.dueMs <= (this.o.now ?? Date.now)()) {
        this.pending.delete(p.incidentId);
        this.forget(p.incidentId);
      }
    }, FORGET_MS);
    timer.unref();
    this.forgetTimers.add(timer);
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
    const last = Math.max(...times);
    // A camera without a window here (a new incident, or one forgotten an hour after its clip, or
    // before a restart) starts at the first event an extension could not have covered: within the
    // hour before the latest. Before, it started at the incident's first event, so an alarm joining
    // an incident open since morning was cut with hours of footage and all of it locked.
    const first = Math.min(...times.filter((t) => t >= last - FORGET_MS));
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
      this.o.index
        .lock({
          incidentId: inc.id,
          camera,
          startMs: w?.toMs ?? fromMs - this.o.segmentSeconds * 1000,
          endMs: toMs + this.o.segmentSeconds * 1000,
          reason: 'alarm clip',
          createdBy: 'system',
        })
        .catch((err: unknown) =>
          // The clip is still cut; retention may take its preroll first, which the log says.
          this.o.log.error({ err, incident: inc.id, camera }, 'recording: could not lock the alarm range'),
        );
    }
    const due = Math.max(...[...p.cameras.values()].map((w) => w.toMs));
    if (!Number.isFinite(due) || due <= p.dueMs) return;
    p.dueMs = due;
    this.persist(p);
    this.schedule(p, due);
  }

  /**
   * Waits until `camera`'s footage reaches `toMs`: from this node's recorder, or (issue 16: a camera
   * recorded by another node, on storage the nodes share) until the shared index has a segment that
   * far. False when it did not within `timeoutMs`; the clip then holds what there is.
   */
  private async footageUntil(camera: string, toMs: number, timeoutMs: number): Promise<boolean> {
    const rec = this.o.recorder;
    if (!rec || rec.camera(camera)) return (await rec?.waitFor(camera, toMs, timeoutMs)) ?? false;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = await this.o.index.lastSegment(camera);
      if (last && last.endMs >= toMs) return true;
      if (this.stopped || Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private async makeClips(p: Pending): Promise<void> {
    for (const [camera, w] of p.cameras) {
      if (w.doneMs !== undefined && w.doneMs >= w.toMs) continue;
      const fromMs = w.doneMs ?? w.fromMs;
      try {
        // Footage up to the postroll's end may still be in the open segment: its file plays as it is.
        await this.footageUntil(camera, w.toMs, this.o.segmentSeconds * 1000 + 5000);
        const id = randomUUID();
        const dir = join(this.o.clipsDir, sanitizeName(p.incidentId));
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `${id}.mp4`);
        // The snapshot is cut from the segment holding the alarm moment, alongside the clip (not after it).
        const jpg = join(dir, `${id}.jpg`);
        const atAlarm = (
          await footage(this.o.index, camera, w.alarmMs, w.alarmMs + 1, this.o.recorder?.openSegment(camera))
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
            ...(this.o.timeZone ? { timeZone: this.o.timeZone } : {}),
            open: this.o.recorder?.openSegment(camera),
          }),
          snap?.then(
            () => true,
            (err: unknown) => {
              // The open segment may not be readable yet under load: the finished clip is cut from below.
              this.o.log.warn(
                { err, camera },
                'recording: snapshot from the live segment failed; using the clip',
              );
              return false;
            },
          ),
        ]);
        if (!snapOk)
          await snapshotFromClip(file, jpg, Math.max(0, (clip.endMs - clip.startMs) / 2000)).catch(
            (err: unknown) => this.o.log.warn({ err, camera }, 'recording: snapshot failed'),
          );
        const url = `/api/clips/${id}`;
        const done = w.doneMs;
        const clipRow = {
          id,
          incident_id: p.incidentId,
          camera,
          url,
          start: new Date(clip.startMs).toISOString(),
          end: new Date(clip.endMs).toISOString(),
          sha256: clip.sha256,
        };
        // The clip row and the job's `doneMs` in one transaction (a resumed job never cuts it twice),
        // after the job writes queued before it; a failure fails this camera's clip (logged below).
        const recorded = this.writes.then(() =>
          this.o.k
            .transaction()
            .execute(async (tx) => {
              await tx.insertInto('clips').values(clipRow).execute();
              w.doneMs = clip.endMs;
              await this.jobRow(tx, p).execute();
            })
            .catch((err: unknown) => {
              w.doneMs = done;
              throw err;
            }),
        );
        this.writes = recorded.catch(() => undefined);
        await recorded;
        const inc = await this.o.store.incidents.get(p.incidentId);
        if (inc)
          this.o.bus.emit('incident:update', inc, { kind: 'clip', camera, url, snapshot: `${url}/snapshot` });
        this.o.log.info({ incident: p.incidentId, camera, clip: id }, 'recording: alarm clip ready');
      } catch (err) {
        if (err instanceof ClipError && err.code === 'no_footage') {
          // Nothing was recorded in the range: the camera or the service was down then (a stop inside
          // the postroll leaves the rest of the job to a start that has nothing to cut). Said once, and
          // the camera's part of the job is done: before, every start tried again and logged an error.
          this.o.log.warn(
            {
              incident: p.incidentId,
              camera,
              from: new Date(fromMs).toISOString(),
              to: new Date(w.toMs).toISOString(),
            },
            'recording: nothing recorded for this part of the alarm clip (the camera or the service was down)',
          );
          w.doneMs = w.toMs;
          this.persist(p);
        } else this.o.log.error({ err, incident: p.incidentId, camera }, 'recording: alarm clip failed');
      }
    }
    this.forgetLater(p);
  }
}

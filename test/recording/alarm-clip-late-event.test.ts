import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import type { Incident } from '../../src/core/incident-types.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { capturedLogger } from '../helpers/log-lines.js';
import { nextEvent, opsClient, startTestService, type TestService } from '../helpers/service.js';
import { probeTiming } from '../streams/media-probe.js';
import { recordingCityYaml, waitForSegments } from './recording-fixture.js';

interface ClipRow {
  id: string;
  start: string;
  end: string;
}

const HOUR = 3_600_000;

/**
 * An alarm that joins an incident opened hours before (a panic at a site whose break-in is still
 * open). Its clip was cut around the incident's first event and then forgotten; the late alarm's clip
 * was cut from that first event on: hours of footage in one file (in the demo, a clip labelled
 * 09:20:51–12:15:32 holding 13 min 44 s of video) and an evidence lock over all of it.
 */
describe('an alarm joining an incident opened hours before', () => {
  let rtsp: RtspSource;
  let dataDir: string;
  const running: TestService[] = [];
  const start = async () => {
    const svc = await startTestService({ yaml: recordingCityYaml(rtsp), dataDir, keepData: true });
    running.push(svc);
    return { svc, rec: svc.svc.part<RecordingPart>('recording') };
  };
  const panic = async (svc: TestService, id: string) => {
    const panel = await mqtt.connectAsync(svc.mqttUrl, {
      username: 'panel-1',
      password: 'secret-panel-1',
      clientId: `panel-1-${id}`,
    });
    const at = Date.now();
    await panel.publishAsync(
      'sharpeyes/panels/panel-1/event',
      JSON.stringify({ id, type: 'panic', zone: '1', ts: new Date(at).toISOString() }),
      { qos: 1 },
    );
    await panel.endAsync();
    return at;
  };
  const clipsOf = (svc: TestService, incident: string) =>
    svc.svc
      .need('store')
      .db.prepare(
        "SELECT id, start, end FROM clips WHERE incident_id = ? AND camera = 'cam-1' ORDER BY start",
      )
      .all(incident) as ClipRow[];
  const waitClips = async (svc: TestService, incident: string, n: number) => {
    const until = Date.now() + 30_000;
    while (clipsOf(svc, incident).length < n && Date.now() < until)
      await new Promise((r) => setTimeout(r, 200));
    return clipsOf(svc, incident);
  };

  beforeAll(async () => {
    rtsp = await startRtspSource({ width: 320, height: 240, fps: 15, paths: ['cam1', 'cam2'] });
    dataDir = mkdtempSync(join(tmpdir(), 'sharpeyes-late-event-'));
  });
  afterAll(async () => {
    for (const svc of running.splice(0)) await svc.close();
    await rtsp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("cuts the late alarm's clip around it (preroll to postroll), not from the incident's first event", async () => {
    const first = await start();
    await waitForSegments(first.rec, 'cam-1', 3);
    const socket = await opsClient(first.svc.httpUrl, await first.svc.login('op-city', 'operator', 'city'));
    const opened = nextEvent<Incident>(socket, 'incident:new');
    await panic(first.svc, 'evt-early');
    const inc = await opened;
    socket.close();
    expect(await waitClips(first.svc, inc.id, 1)).toHaveLength(1);
    await first.rec.clips.settled();
    running.splice(running.indexOf(first.svc), 1);
    await first.svc.close();

    // Three hours pass with the incident open (the file says so: its first event and its clip job are
    // that old, the job's hour of extensions long over).
    const db = new Database(join(dataDir, 'sharpeyes.db'));
    const old = (iso: string) => new Date(Date.parse(iso) - 3 * HOUR).toISOString();
    const ev = db.prepare("SELECT key, received_at, ts FROM events WHERE key LIKE '%evt-early'").get() as {
      key: string;
      received_at: string;
      ts: string;
    };
    db.prepare('UPDATE events SET received_at = ?, ts = ? WHERE key = ?').run(
      old(ev.received_at),
      old(ev.ts),
      ev.key,
    );
    db.prepare('UPDATE recording_clip_jobs SET due_ms = due_ms - ? WHERE incident_id = ?').run(
      3 * HOUR,
      inc.id,
    );
    db.close();

    const second = await start();
    await waitForSegments(second.rec, 'cam-1', 3);
    const at = await panic(second.svc, 'evt-late');
    const clips = await waitClips(second.svc, inc.id, 2);
    await second.rec.clips.settled();
    expect(clips).toHaveLength(2);
    const late = clips[1]!;
    // From the preroll (2 s) before the late alarm, to a segment (1 s) either side at most.
    expect(Date.parse(late.start)).toBeGreaterThanOrEqual(at - 2_000 - 1_000 - 500);
    expect(Date.parse(late.end)).toBeLessThanOrEqual(at + 1_000 + 1_000 + 2_000);
    // And the file holds the wall time its row claims (no hole inside: one run of recording).
    const media = await probeTiming(join(dataDir, 'clips', inc.id, `${late.id}.mp4`));
    const claimed = (Date.parse(late.end) - Date.parse(late.start)) / 1000;
    expect(Math.abs(media.duration - claimed)).toBeLessThan(0.5);
  }, 90_000);
});

/**
 * A clip job whose range nothing was recorded in: a stop inside the postroll, the camera down. Every
 * start tried it again and logged "alarm clip failed" at error level.
 */
describe('a pending alarm clip with nothing recorded in its range', () => {
  let rtsp: RtspSource;
  let dataDir: string;
  const running: TestService[] = [];
  const { log, lines } = capturedLogger();
  const start = async () => {
    const svc = await startTestService({ yaml: recordingCityYaml(rtsp), dataDir, keepData: true, log });
    running.push(svc);
    return { svc, rec: svc.svc.part<RecordingPart>('recording') };
  };

  beforeAll(async () => {
    rtsp = await startRtspSource({ width: 320, height: 240, fps: 15, paths: ['cam1', 'cam2'] });
    dataDir = mkdtempSync(join(tmpdir(), 'sharpeyes-no-footage-'));
  });
  afterAll(async () => {
    for (const svc of running.splice(0)) await svc.close();
    await rtsp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says once that nothing was recorded, as a warning, and does not try again at the next start', async () => {
    const first = await start();
    await waitForSegments(first.rec, 'cam-1', 2);
    // An alarm of two hours ago whose clip was never cut (the service stopped inside its postroll,
    // the camera had been dark): nothing of cam-1 was recorded then.
    const at = Date.now() - 2 * HOUR;
    const cameras = { 'cam-1': { fromMs: at - 2_000, toMs: at + 1_000, alarmMs: at } };
    first.svc.svc
      .need('store')
      .db.prepare(
        'INSERT INTO recording_clip_jobs (incident_id, cameras, due_ms, updated_at) VALUES (?, ?, ?, ?)',
      )
      .run('INC-20261207-0000DEAD', JSON.stringify(cameras), at + 1_000, new Date().toISOString());
    running.splice(running.indexOf(first.svc), 1);
    await first.svc.close();

    const clipLines = () =>
      lines.filter((l) => l['incident'] === 'INC-20261207-0000DEAD' && String(l['msg']).includes('clip'));
    const second = await start();
    const until = Date.now() + 20_000;
    while (!clipLines().some((l) => l['camera'] === 'cam-1') && Date.now() < until)
      await new Promise((r) => setTimeout(r, 100));
    await second.rec.clips.settled();
    expect(clipLines().map((l) => [l['level'], l['msg']])).toEqual([
      [30, 'recording: resuming a pending alarm clip'],
      [
        40,
        'recording: nothing recorded for this part of the alarm clip (the camera or the service was down)',
      ],
    ]);
    running.splice(running.indexOf(second.svc), 1);
    await second.svc.close();

    // The next start finds the camera's part done: nothing to resume, nothing logged.
    lines.length = 0;
    const third = await start();
    await new Promise((r) => setTimeout(r, 1_000));
    await third.rec.clips.settled();
    expect(clipLines()).toEqual([]);
  }, 90_000);
});

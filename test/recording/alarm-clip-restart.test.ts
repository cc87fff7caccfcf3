import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import type { Incident } from '../../src/core/incident-types.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { api, nextEvent, opsClient, startTestService, type TestService } from '../helpers/service.js';
import { recordingCityYaml, waitForSegments } from './recording-fixture.js';

/** Zone 1 of panel-1 sees both cameras; a 5 s postroll leaves room to stop the service inside it. */
const yaml = (rtsp: RtspSource) =>
  recordingCityYaml(rtsp)
    .replace('cameras: [cam-1] }', 'cameras: [cam-1, cam-2] }')
    .replaceAll('postroll: 1 }', 'postroll: 5 }');

interface ClipRow {
  id: string;
  camera: string;
  url: string;
}

describe('pending alarm clips survive a restart', () => {
  let rtsp: RtspSource;
  let dataDir: string;
  const running: TestService[] = [];
  const start = async () => {
    const svc = await startTestService({ yaml: yaml(rtsp), dataDir, keepData: true });
    running.push(svc);
    return { svc, rec: svc.svc.part<RecordingPart>('recording') };
  };
  const stop = async (svc: TestService) => {
    running.splice(running.indexOf(svc), 1);
    await svc.close();
  };
  const clipsOf = (svc: TestService, incident: string) =>
    svc.svc
      .need('store')
      .db.prepare('SELECT id, camera, url FROM clips WHERE incident_id = ? ORDER BY camera')
      .all(incident) as ClipRow[];

  beforeAll(async () => {
    rtsp = await startRtspSource({ width: 320, height: 240, fps: 15, paths: ['cam1', 'cam2'] });
    dataDir = mkdtempSync(join(tmpdir(), 'sharpeyes-restart-'));
  });
  afterAll(async () => {
    for (const svc of running.splice(0)) await svc.close();
    await rtsp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a stop between the alarm and the end of the postroll still yields exactly one clip per camera', async () => {
    const first = await start();
    await waitForSegments(first.rec, 'cam-1', 3);
    await waitForSegments(first.rec, 'cam-2', 3);
    const token = await first.svc.login('op-city', 'operator', 'city');
    const socket = await opsClient(first.svc.httpUrl, token);
    const panel = await mqtt.connectAsync(first.svc.mqttUrl, {
      username: 'panel-1',
      password: 'secret-panel-1',
      clientId: 'panel-1-restart',
    });
    const opened = nextEvent<Incident>(socket, 'incident:new');
    await panel.publishAsync(
      'sharpeyes/panels/panel-1/event',
      JSON.stringify({ id: 'evt-restart', type: 'panic', zone: '1', ts: new Date().toISOString() }),
      { qos: 1 },
    );
    const inc = await opened;
    socket.close();
    await panel.endAsync();
    // The job is on disk before the postroll ends; no clip is cut yet.
    const job = first.svc.svc
      .need('store')
      .db.prepare('SELECT cameras FROM recording_clip_jobs WHERE incident_id = ?')
      .get(inc.id) as { cameras: string };
    expect(Object.keys(JSON.parse(job.cameras)).sort()).toEqual(['cam-1', 'cam-2']);
    await stop(first.svc);
    // Stopped inside the postroll: the file holds the job but no clip (state, read from the SQLite file).
    const db = new Database(join(dataDir, 'sharpeyes.db'), { readonly: true });
    const cut = db.prepare('SELECT COUNT(*) AS n FROM clips WHERE incident_id = ?').get(inc.id);
    db.close();
    expect(cut).toEqual({ n: 0 });

    const second = await start();
    const until = Date.now() + 30_000;
    while (clipsOf(second.svc, inc.id).length < 2 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 200));
    await second.rec.clips.settled();
    const clips = clipsOf(second.svc, inc.id);
    expect(clips.map((c) => c.camera)).toEqual(['cam-1', 'cam-2']);
    for (const c of clips) expect(existsSync(join(dataDir, 'clips', inc.id, `${c.id}.mp4`))).toBe(true);
    const seen = await api<Incident>(
      `${second.svc.httpUrl}/api/incidents/${inc.id}`,
      await second.svc.login('op-city'),
    );
    expect(seen.body.clips.map((c) => c.camera).sort()).toEqual(['cam-1', 'cam-2']);
    const done = JSON.parse(
      (
        second.svc.svc
          .need('store')
          .db.prepare('SELECT cameras FROM recording_clip_jobs WHERE incident_id = ?')
          .get(inc.id) as { cameras: string }
      ).cameras,
    ) as Record<string, { doneMs?: number }>;
    expect(Object.values(done).every((w) => typeof w.doneMs === 'number')).toBe(true);
    await stop(second.svc);

    // A third start finds the job done and cuts nothing again.
    const third = await start();
    await new Promise((r) => setTimeout(r, 500));
    await third.rec.clips.settled();
    expect(clipsOf(third.svc, inc.id).map((c) => c.camera)).toEqual(['cam-1', 'cam-2']);
  }, 90_000);
});

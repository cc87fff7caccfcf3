import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import type { RecordingPart } from '../../src/recording/recording-module.js';
import { sanitizeName } from '../../streams/segment-paths.js';
import {
  metricSum,
  sendPanelEvent,
  startTestService,
  systemDesk,
  type TestService,
} from '../helpers/service.js';
import { recordingCityYaml, waitForSegments } from './recording-fixture.js';

describe('recording’s own faults in /api/health and on every desk: a camera whose writes fail', () => {
  let rtsp: RtspSource;
  let svc: TestService;
  let rec: RecordingPart;
  let socket: Socket | undefined;

  beforeAll(async () => {
    rtsp = await startRtspSource({ width: 320, height: 240, fps: 15, paths: ['cam1', 'cam2'] });
    svc = await startTestService({ yaml: `${recordingCityYaml(rtsp)}storage: { systemWatchSeconds: 1 }\n` });
    rec = svc.svc.part<RecordingPart>('recording');
  }, 60_000);
  afterAll(async () => {
    socket?.close();
    await svc?.close();
    await rtsp?.stop();
  });

  const health = async () =>
    (
      (await (await fetch(`${svc.httpUrl}/api/health`)).json()) as {
        checks: { recording: Record<string, number> };
      }
    ).checks.recording;

  it('all well: room enough, every write through; then cam-1’s directory turned into a file (ENOTDIR, as a failed disk): the desks are told at once, the alarm path is not held, and recording resumes when the disk is back', async () => {
    await waitForSegments(rec, 'cam-1', 2);
    expect(await health()).toEqual({
      camerasFailing: 0,
      camerasDropping: 0,
      storageShort: 0,
      storageFull: 0,
    });

    const desk = systemDesk(svc.httpUrl, await svc.login('rec-operator', 'operator', 'city'));
    socket = desk.socket;
    const { heard } = desk;
    await expect.poll(() => heard.length).toBeGreaterThan(0);
    expect(heard[0]!.level).toBe('ok');

    const dir = join(svc.dataDir, 'recordings', sanitizeName('cam-1'));
    renameSync(dir, `${dir}-away`);
    writeFileSync(dir, 'not a directory');
    const brokenAt = Date.now();
    try {
      await expect
        .poll(() => heard.find((s) => s.troubles.some((t) => t.kind === 'recording')), { timeout: 15_000 })
        .toBeDefined();
      const status = heard.find((s) => s.troubles.some((t) => t.kind === 'recording'))!;
      expect(status.level).toBe('bad');
      expect(status.troubles.find((t) => t.kind === 'recording')).toMatchObject({
        level: 'bad',
        figures: { failing: 1, dropping: 0 },
      });
      expect(Date.parse(status.troubles.find((t) => t.kind === 'recording')!.since)).toBeGreaterThanOrEqual(
        brokenAt - 1000,
      );
      expect(await health()).toMatchObject({ camerasFailing: 1, camerasDropping: 0 });
      expect(
        await metricSum(svc.httpUrl, 'sharpeyes_recording_write_failed_total', { camera: 'cam-1' }),
      ).toBeGreaterThan(0);
      // Only cam-1: cam-2 records on.
      expect(
        await metricSum(svc.httpUrl, 'sharpeyes_recording_write_failed_total', { camera: 'cam-2' }),
      ).toBe(0);

      // The alarm path is not held by a failing disk of footage: the panic is acknowledged.
      await sendPanelEvent(
        svc.mqttUrl,
        { id: 'panel-1', secret: 'secret-panel-1' },
        { id: 'rec-fail-1', type: 'panic', zone: '1' },
      );
    } finally {
      rmSync(dir, { force: true });
      renameSync(`${dir}-away`, dir);
    }
    // Recording resumes at the next keyframe once the directory is back.
    const before = (await rec.index.segments('cam-1', 0, Number.MAX_SAFE_INTEGER)).length;
    await waitForSegments(rec, 'cam-1', before + 2);
  }, 60_000);
});

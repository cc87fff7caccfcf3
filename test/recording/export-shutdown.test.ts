import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RtspSource, startRtspSource } from '../../drivers/simulator/rtsp-source.js';
import { type ChildService, ROOT, startChildService } from '../helpers/child-service.js';
import { api } from '../helpers/service.js';
import { recordingCityYaml } from './recording-fixture.js';

const run = promisify(execFile);

describe('sharpeyes start: SIGTERM during an export', () => {
  let rtsp: RtspSource;
  let dir: string;
  let child: ChildService | undefined;
  beforeAll(async () => {
    rtsp = await startRtspSource({ width: 320, height: 240, fps: 15, paths: ['cam1', 'cam2'] });
    dir = mkdtempSync(join(tmpdir(), 'sharpeyes-term-'));
  });
  afterAll(async () => {
    await child?.stop('SIGKILL');
    await rtsp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('aborts the running export (ffmpeg killed, no zip left, failed "interrupted by shutdown") and exits 0', async () => {
    const dataDir = join(dir, 'data');
    const config = join(dir, 'city.yaml');
    writeFileSync(config, recordingCityYaml(rtsp));
    // Real ffmpeg; only the export's concat reads at native rate, so the export is still running at SIGTERM.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const pidFile = join(dir, 'concat.pid');
    writeFileSync(
      join(bin, 'ffmpeg'),
      `#!/bin/sh\ncase "$*" in *"-f concat"*"-progress"*) echo $$ > '${pidFile}'; exec /usr/bin/ffmpeg -re "$@";; esac\nexec /usr/bin/ffmpeg "$@"\n`,
    );
    chmodSync(join(bin, 'ffmpeg'), 0o755);
    const common = ['--config', config, '--data-dir', dataDir];
    const cli = join(ROOT, 'bin', 'sharpeyes.js');
    await run(process.execPath, [
      cli,
      'user',
      'add',
      ...common,
      '--username',
      'inv',
      '--password',
      'pw-inv-1234',
      '--role',
      'investigator',
      '--scope',
      'city',
    ]);
    child = await startChildService([...common, '--no-demo'], { PATH: `${bin}:${process.env['PATH']}` });
    const login = await api<{ token: string }>(`${child.httpUrl}/api/auth/login`, undefined, {
      method: 'POST',
      body: JSON.stringify({ username: 'inv', password: 'pw-inv-1234' }),
    });
    const token = login.body.token;

    // Wait for 6 s of footage of cam-1.
    let segs: { start: string; end: string }[] = [];
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      const now = Date.now();
      const tl = await api<{ segments: { start: string; end: string }[] }>(
        `${child.httpUrl}/api/recordings?camera=cam-1&from=${new Date(now - 120_000).toISOString()}&to=${new Date(now).toISOString()}`,
        token,
      );
      segs = tl.body.segments ?? [];
      if (segs.length > 0 && Date.parse(segs.at(-1)!.end) - Date.parse(segs[0]!.start) >= 6000) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const res = await api<{ id: string }>(`${child.httpUrl}/api/exports`, token, {
      method: 'POST',
      body: JSON.stringify({
        cameras: ['cam-1'],
        from: segs[0]!.start,
        to: segs.at(-1)!.end,
        reason: 'case 1',
      }),
    });
    expect(res.status).toBe(202);
    while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 50));
    const st = await api<{ state: string }>(`${child.httpUrl}/api/exports/${res.body.id}`, token);
    expect(st.body.state).toBe('running');
    const pid = Number(readFileSync(pidFile, 'utf8'));

    const out = child;
    expect(await child.stop('SIGTERM'), out.output()).toBe(0);
    child = undefined;
    const db = new Database(join(dataDir, 'sharpeyes.db'), { readonly: true });
    const row = db.prepare('SELECT state, error FROM recording_exports WHERE id = ?').get(res.body.id);
    db.close();
    expect(row).toEqual({ state: 'failed', error: 'interrupted by shutdown' });
    expect(readdirSync(join(dataDir, 'exports'))).toEqual([]);
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  }, 60_000);
});

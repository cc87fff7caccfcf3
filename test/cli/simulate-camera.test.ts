import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OnvifCamera } from '../../drivers/onvif/onvif-camera.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'sharpeyes.js');

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, 'simulate', 'camera', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function firstLines(child: ChildProcess, n: number): Promise<Record<string, unknown>[]> {
  let buf = '';
  for await (const chunk of child.stdout!) {
    buf += String(chunk);
    const lines = buf.split('\n').filter((l) => l.startsWith('{'));
    if (lines.length >= n) return lines.slice(0, n).map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  throw new Error(`cli ended early: ${buf}`);
}

describe('sharpeyes simulate camera', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it('runs --count cameras that answer ONVIF with credentials, hides them in its output, stops on SIGTERM', async () => {
    child = cli([
      '--port',
      '0',
      '--count',
      '2',
      '--width',
      '160',
      '--height',
      '90',
      '--fps',
      '5',
      '--username',
      'admin',
      '--password',
      'cli-pass-1',
    ]);
    const lines = await firstLines(child, 2);
    expect(lines.map((l) => l['camera'])).toEqual([1, 2]);
    expect(JSON.stringify(lines)).not.toContain('cli-pass-1');
    for (const line of lines) {
      const cam = new OnvifCamera({ url: String(line['device']), username: 'admin', password: 'cli-pass-1' });
      const st = await cam.connect();
      expect(st.main).toMatchObject({ width: 160, height: 90 });
    }
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });

  it.each([
    [[], /--port is required/],
    [['--port', '0', '--count', '0'], /--count must be an integer/],
    [['--port', '0', '--username', 'admin'], /--username and --password go together/],
  ])('refuses %j', async (args, msg) => {
    child = cli(args);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(err).toMatch(msg);
  });
});

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../../helpers/free-port.js';

export { freePort };

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Mosquitto {
  port: number;
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * A real Mosquitto on a free port with a password file (made with `mosquitto_passwd -b`) and the ACL
 * pattern from config/mosquitto.conf: each panel only its own topics, the service every panel's.
 */
export async function startMosquitto(
  users: Record<string, string>,
  service = 'sharpeyes-core',
): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-mosquitto-'));
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, '');
  for (const [user, pass] of Object.entries(users))
    execFileSync('mosquitto_passwd', ['-b', passwd, user, pass]);
  const acl = join(dir, 'acl');
  writeFileSync(
    acl,
    [
      `user ${service}`,
      ...['event', 'status', 'heartbeat', 'reply'].map((k) => `topic read sharpeyes/panels/+/${k}`),
      'topic write sharpeyes/panels/+/ack',
      'topic write sharpeyes/panels/+/command',
      '',
      ...['event', 'status', 'heartbeat', 'reply'].map((k) => `pattern write sharpeyes/panels/%u/${k}`),
      'pattern read sharpeyes/panels/%u/ack',
      'pattern read sharpeyes/panels/%u/command',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${passwd}`,
      `acl_file ${acl}`,
      'persistence false',
      'max_queued_messages 0',
      'max_inflight_messages 100',
      // Run as root (CI containers), Mosquitto would switch to user "mosquitto", who cannot read our
      // temp dir; stay who we are.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      '',
    ].join('\n'),
  );
  const proc: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<never>((_resolve, reject) =>
    proc.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}`))),
  );
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForPort(port), exited]);
  } catch (err) {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mosquitto did not start: ${stderr}`, { cause: err });
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

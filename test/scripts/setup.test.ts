import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const SETUP = join(ROOT, 'scripts', 'setup.mjs');
const RUNUSER = '/usr/sbin/runuser';

describe('scripts/setup.mjs (npm start / npm test run it first)', () => {
  it('with everything present it passes and leaves its stamp', async () => {
    await run(process.execPath, [SETUP]);
    expect(existsSync(join(ROOT, 'node_modules', '.sharpeyes-setup.json'))).toBe(true);
    // The fast path again: same lock, same Debian packages.
    await run(process.execPath, [SETUP]);
  });

  it('not root and ffmpeg missing: prints the one apt-get line to run and stops with exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'setup-path-'));
    chmodSync(dir, 0o755); // the unprivileged user must be able to look in
    for (const p of [
      'gst-inspect-1.0',
      'fc-list',
      'mosquitto',
      'mosquitto_passwd',
      'mosquitto_pub',
      'redis-server',
      'faketime',
      'ffprobe',
    ]) {
      const found = ['/usr/bin', '/usr/sbin'].map((b) => join(b, p)).find(existsSync);
      if (found) symlinkSync(found, join(dir, p));
    }
    // As root, drop to nobody (the script must not apt-get install for a user who cannot).
    const [cmd, args] =
      process.getuid?.() === 0
        ? [RUNUSER, ['-u', 'nobody', '--', process.execPath, SETUP, '--force']]
        : [process.execPath, [SETUP, '--force']];
    const err = await run(cmd, args, { env: { ...process.env, PATH: dir } }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/missing ffmpeg \(Debian package ffmpeg\)/);
    expect(err?.stderr).toMatch(/^ {2}sudo apt-get install -y --no-install-recommends ffmpeg$/m);
  });
});

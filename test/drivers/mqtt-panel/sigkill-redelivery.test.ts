import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_CITY_YAML } from '../../helpers/service.js';
import { freePort } from './mosquitto.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const TOTAL = 400;

/** Starts `sharpeyes start` as a real process and resolves once it says it is running. */
function startService(configFile: string, dataDir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', 'start', '--config', configFile, '--data-dir', dataDir, '--no-demo'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output}`)), 20_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Sharpeyes is running')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}:\n${output}`));
    });
  });
}

describe('commit before acknowledge survives SIGKILL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sharpeyes-sigkill-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a QoS 1 stream from a persistent session is stored exactly once per id across a kill and restart', async () => {
    const port = await freePort();
    const configFile = join(dataDir, 'city.yaml');
    writeFileSync(
      configFile,
      TEST_CITY_YAML.replace(
        'mqtt: { embedded: { port: 0, host: 127.0.0.1 } }',
        `mqtt: { embedded: { port: ${port}, host: 127.0.0.1 } }`,
      ),
    );
    children.push(await startService(configFile, join(dataDir, 'data')));

    const panel = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'panel-1-sigkill',
      username: 'panel-1',
      password: 'secret-panel-1',
      clean: false,
      reconnectPeriod: 100,
    });
    let acked = 0;
    let killed = false;
    let inFlightAtKill = 0;
    const ids = Array.from({ length: TOTAL }, (_v, i) => `seq-${String(i).padStart(4, '0')}`);
    const pending: Promise<unknown>[] = [];
    for (const [i, id] of ids.entries()) {
      const payload = JSON.stringify({
        id,
        type: i === 0 ? 'panic' : 'test',
        zone: '1',
        ts: new Date().toISOString(),
      });
      pending.push(
        panel.publishAsync('sharpeyes/panels/panel-1/event', payload, { qos: 1 }).then(() => acked++),
      );
      if (i === 110) {
        // Mid-burst, with QoS 1 publishes in flight (some committed, their PUBACK not yet sent).
        await new Promise((r) => setImmediate(r));
        inFlightAtKill = i + 1 - acked;
        children[0]?.kill('SIGKILL');
        killed = true;
        await new Promise((r) => children[0]?.once('exit', r));
      }
      if (killed && i === 200) children.push(await startService(configFile, join(dataDir, 'data')));
      // Bursts of 20 with a pause: the service commits each burst in one group.
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
    const ackedAtKill = acked;
    await Promise.all(pending);
    await panel.endAsync();
    expect(acked).toBe(TOTAL);
    expect(ackedAtKill).toBeLessThan(TOTAL);
    expect(inFlightAtKill).toBeGreaterThan(0);

    const db = new Database(join(dataDir, 'data', 'sharpeyes.db'), { readonly: true });
    const rows = db
      .prepare(
        "SELECT key, COUNT(*) AS n FROM events WHERE device = 'panel-1' AND source = 'panel' GROUP BY key",
      )
      .all() as { key: string; n: number }[];
    // The panic's alarm, once. (The kill may also leave a maintenance ticket: the panel was cut off.)
    const incidents = db
      .prepare("SELECT COUNT(*) AS n FROM incidents WHERE site = 'shop-1' AND kind = 'alarm'")
      .get() as {
      n: number;
    };
    db.close();
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    expect(rows.map((r) => r.key).sort()).toEqual(ids.map((id) => `panel:panel-1:${id}`));
    expect(incidents.n).toBe(1);

    const restarted = children[1]!;
    const exited = new Promise((r) => restarted.once('exit', r));
    restarted.kill('SIGTERM');
    await exited;
  }, 60_000);
});

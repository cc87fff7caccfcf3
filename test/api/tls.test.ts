import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestService, TEST_CITY_YAML, type TestService } from '../helpers/service.js';

const dir = mkdtempSync(join(tmpdir(), 'sharpeyes-tls-'));
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');

/** GET over HTTPS trusting only the test certificate. */
function get(
  url: string,
  ca: Buffer,
): Promise<{ status: number; headers: Record<string, unknown>; body: string; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      const protocol = (res.socket as TLSSocket).getProtocol() ?? '';
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, protocol }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS with the certificate and key named in http.tls', () => {
  let svc: TestService;
  let ca: Buffer;
  beforeAll(async () => {
    // A self-signed certificate for 127.0.0.1, made with the openssl of the machine.
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'],
        ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(cert);
    const yaml = TEST_CITY_YAML.replace(
      'http: { host: 127.0.0.1, port: 0 }',
      `http: { host: 127.0.0.1, port: 0, tls: { cert: "${cert}", key: "${key}" } }`,
    );
    svc = await startTestService({ yaml });
  });
  afterAll(async () => {
    await svc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the API and the console over TLS 1.2+ with HSTS', async () => {
    expect(svc.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await get(`${svc.httpUrl}/api/health`, ca);
    expect(health.status).toBe(200);
    expect(health.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(health.headers['strict-transport-security']).toBe('max-age=31536000');
    const page = await get(`${svc.httpUrl}/`, ca);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="/app.js">');
  });

  it('refuses a client that does not trust the certificate (no silent downgrade to plain HTTP)', async () => {
    await expect(get(`${svc.httpUrl}/api/health`, Buffer.from(''))).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );
    const plain = await fetch(svc.httpUrl.replace('https:', 'http:')).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain).toBe('refused');
  });

  it('carries the /ops socket (wss) and the /live upgrade over the same TLS server', async () => {
    const token = await (async () => {
      await svc.svc
        .need('auth')
        .createUser({ username: 'tls-op', password: 'pw-tls-op-123', role: 'operator', scope: 'city' });
      return (await svc.svc.need('auth').login('tls-op', 'pw-tls-op-123')).token;
    })();
    const socket = io(`${svc.httpUrl}/ops`, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
      ca: ca.toString(),
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    expect(socket.connected).toBe(true);
    socket.close();
    // No camera in this city: the relay answers the upgrade itself (404), over TLS.
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${svc.httpUrl.replace('https:', 'wss:')}/live/cam-none`, {
        ca,
        headers: { authorization: `Bearer ${token}` },
      });
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('error', reject);
    });
    expect(status).toBe(404);
  });

  it.each([
    ['a missing certificate file', 'missing-cert', /http\.tls\.cert: cannot read .*nope\.pem/],
    ['a key that is not PEM', 'bad-key', /http\.tls\.key: .* is not a PEM file/],
  ])('stops the start on %s, naming the key', async (_what, change, message) => {
    const notPem = join(dir, 'not-pem.txt');
    writeFileSync(notPem, 'hello');
    const c = change === 'missing-cert' ? join(dir, 'nope.pem') : cert;
    const k = change === 'bad-key' ? notPem : key;
    const yaml = TEST_CITY_YAML.replace(
      'http: { host: 127.0.0.1, port: 0 }',
      `http: { host: 127.0.0.1, port: 0, tls: { cert: "${c}", key: "${k}" } }`,
    );
    await expect(startTestService({ yaml })).rejects.toThrow(message);
  });
});

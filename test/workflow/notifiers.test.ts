import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident-types.js';
import type { WorkflowFields } from '../../src/workflow/workflow-view.js';
import { api } from '../helpers/service.js';
import { type SmsGateway, type SmsMessage, startSmsGateway } from '../helpers/sms-gateway.js';
import { type Panel, startWorkflowRig, WORKFLOW_CITY_YAML, type WorkflowRig } from './workflow-fixture.js';

type Inc = Incident & WorkflowFields;
interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/** The text body of a single-part message, its transfer encoding undone. */
function mailText(raw: string): string {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  const enc = /content-transfer-encoding:\s*(\S+)/i.exec(head ?? '')?.[1]?.toLowerCase();
  if (enc === 'base64') return Buffer.from(body, 'base64').toString('utf8').trim();
  if (enc === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => `%${h}`);
    return decodeURIComponent(bytes).trim();
  }
  return body.trim();
}

const portOf = (s: { address(): AddressInfo | string | null }) => (s.address() as AddressInfo).port;

describe('notifiers: email over a real SMTP server, an SMS gateway and a webhook, retried (outbox sink)', () => {
  let rig: WorkflowRig;
  let panel: Panel;
  let smtp: SMTPServer;
  let gateway: SmsGateway;
  let hook: Server;
  const mails: Mail[] = [];
  let sms: SmsMessage[] = [];
  const hooks: { body: string; signature?: string }[] = [];
  let op: string;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, cb) {
        let raw = '';
        stream.on('data', (c: Buffer) => {
          raw += c.toString('utf8');
        });
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    // The SMS gateway refuses the first message (a gateway hiccup): the notifier must retry.
    gateway = await startSmsGateway({ refuseFirst: 1 });
    sms = gateway.sent;
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        hooks.push({ body, signature: req.headers['x-sharpeyes-signature'] as string });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const yaml = WORKFLOW_CITY_YAML.replace(
      '    - { name: 李钥匙, phone: "+86 351 555 0102", role: keyholder }',
      '    - { name: 李钥匙, phone: "+86 351 555 0102", role: keyholder, email: li@example.cn, notify: true }',
    );
    rig = await startWorkflowRig(`${yaml}
notifiers:
  channels:
    - { id: mail, kind: email, host: 127.0.0.1, port: ${portOf(smtp.server)}, from: "联网报警中心 <alarm@example.cn>", timeoutMs: 5000 }
    - { id: sms, kind: sms, url: "${gateway.url}", token: sms-token-123, timeoutMs: 5000 }
    - { id: hook, kind: webhook, url: "http://127.0.0.1:${portOf(hook)}/notify", secret: "0123456789abcdef0123", timeoutMs: 5000 }
  initialBackoffMs: 50
  maxBackoffMs: 200
`);
    op = await rig.svc.login('op-a', 'operator', 'north');
    panel = await rig.panel('panel-1', 'secret-panel-1');
  });
  afterAll(async () => {
    await panel?.end();
    await rig?.svc.close();
    await new Promise<void>((r) => smtp?.close(() => r()));
    await gateway?.close();
    hook?.close();
  });

  it('an alarm opened tells the keyholder by email, SMS (after one refusal) and webhook; each delivery is on the incident', async () => {
    await panel.send('n-1', 'panic', '1');
    const get = async () =>
      (await api<{ incidents: Inc[] }>(rig.url('/api/incidents?site=shop-1'), op)).body.incidents[0];
    await expect
      .poll(async () => (await get())?.notifications.map((n) => [n.channel, n.state]).sort(), {
        timeout: 15_000,
      })
      .toEqual([
        ['hook', 'sent'],
        ['mail', 'sent'],
        ['sms', 'sent'],
      ]);
    const inc = (await get())!;
    expect(inc.notifications.find((n) => n.channel === 'sms')).toMatchObject({
      attempts: 2,
      recipient: '李钥匙',
    });

    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ from: 'alarm@example.cn', to: ['li@example.cn'] });
    expect(mails[0]!.raw).toMatch(/X-Sharpeyes-Notification: o\d+:opened:1:mail/);
    // The body is UTF-8 Chinese in quoted-printable or base64: decoded, it names the shop and incident.
    expect(mailText(mails[0]!.raw)).toBe(`Shop One 发生报警（P1），报警中心正在处置。事件编号 ${inc.id}。`);

    expect(sms).toEqual([
      {
        id: expect.stringMatching(/:opened:1:sms$/),
        to: '+86 351 555 0102',
        text: `【联网报警中心】Shop One\nShop One 发生报警（P1），报警中心正在处置。事件编号 ${inc.id}。`,
        auth: 'Bearer sms-token-123',
      },
    ]);
    expect(hooks).toHaveLength(1);
    const expected = `sha256=${createHmac('sha256', '0123456789abcdef0123').update(hooks[0]!.body).digest('hex')}`;
    expect(hooks[0]!.signature).toBe(expected);
    expect(JSON.parse(hooks[0]!.body)).toMatchObject({
      to: '李钥匙',
      reason: 'opened',
      incident: inc.id,
      site: 'shop-1',
    });
  });

  it('test mode started and ended is told to the same contacts (no incident)', async () => {
    const before = sms.length;
    await rig.post('/api/sites/shop-1/test-mode', op, { minutes: 20, reason: '安装商年检' });
    await expect
      .poll(() => sms.slice(before).map((m) => m.text.split('\n')[1]))
      .toEqual(['Shop One 已进入测试状态 20 分钟（安装商年检），期间报警不出警。']);
    await api(rig.url('/api/sites/shop-1/test-mode'), op, { method: 'DELETE' });
    await expect
      .poll(() => sms.slice(before + 1).map((m) => m.text.split('\n')[1]))
      .toEqual(['Shop One 的测试状态已结束，恢复正常布防监控。']);
  });

  it('the notify button tells one contact now through the channels it can be reached on; delivery on the incident', async () => {
    await panel.send('n-2', 'panic', '2');
    const open = async () =>
      (await api<{ incidents: Inc[] }>(rig.url('/api/incidents?site=shop-1'), op)).body.incidents.find(
        (i) => i.state === 'new' || i.state === 'acknowledged',
      );
    await expect.poll(open).toBeDefined();
    const inc = (await open())!;
    const before = sms.length;
    const r = await rig.post<Inc>(`/api/incidents/${inc.id}/notify`, op, { contact: 0, note: '请速到店' });
    expect(r.status).toBe(202);
    // 王店长 has a phone only: SMS and the webhook (by name), no email.
    await expect
      .poll(() => sms.slice(before).map((m) => [m.to, m.text.split('\n')[1]]))
      .toEqual([
        [
          '+86 351 555 0101',
          `报警中心通知：Shop One 有报警（P1）正在处置，请联系中心或到场。请速到店。事件编号 ${inc.id}。`,
        ],
      ]);
    const manual = async () =>
      (await api<Inc>(rig.url(`/api/incidents/${inc.id}`), op)).body.notifications
        .filter((n) => n.reason === 'manual')
        .map((n) => [n.recipient, n.channel, n.state])
        .sort();
    await expect.poll(manual).toEqual([
      ['王店长', 'hook', 'sent'],
      ['王店长', 'sms', 'sent'],
    ]);
  });

  it.each([
    [{ contact: 0, channel: 'mail' }, 409, 'no_channel'],
    [{ contact: 0, channel: 'fax' }, 400, 'bad_channel'],
    [{ contact: 7 }, 400, 'bad_contact'],
    [{ contact: 0, extra: 1 }, 400, 'bad_request'],
  ])('refuses notify %j with %i %s and queues nothing', async (body, status, code) => {
    const [inc] = (await api<{ incidents: Inc[] }>(rig.url('/api/incidents?site=shop-1'), op)).body.incidents;
    const count = async () =>
      (await api<Inc>(rig.url(`/api/incidents/${inc!.id}`), op)).body.notifications.length;
    const n = await count();
    const r = await rig.post<{ error: { code: string; message: string } }>(
      `/api/incidents/${inc!.id}/notify`,
      op,
      body,
    );
    expect([r.status, r.body.error.code]).toEqual([status, code]);
    expect(await count()).toBe(n);
  });
});

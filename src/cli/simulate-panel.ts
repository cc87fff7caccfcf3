import { parseArgs } from 'node:util';
import { PANEL_EVENT_TYPES, type PanelWireEventType } from '../../drivers/mqtt-panel/protocol.js';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import type { Config } from '../config/schema.js';
import { commonOptions, configFrom, type Verb } from './common.js';
import { dc09Dialler, dc09Message } from './simulate-dc09.js';

/** The broker a panel of this config talks to; credentials in `mqtt.url` are the service's, not a panel's. */
function brokerUrl(config: Config): string {
  if (config.mqtt.url) {
    const u = new URL(config.mqtt.url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  }
  const host = config.mqtt.embedded?.host;
  return `mqtt://${!host || host === '0.0.0.0' ? '127.0.0.1' : host}:${config.mqtt.embedded?.port ?? 1883}`;
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
  return n;
}

export const simulatePanelVerb: Verb = {
  name: 'simulate panel',
  summary:
    'run a simulated alarm panel: panel protocol v1 over MQTT (heartbeats, events, commands), or with --dc09 a SIA DC-09 panel (NULL polls, events, waits for each ACK)',
  usage:
    'simulate panel --id ID [--secret S] [--url mqtt://host:port] [--panic | --event TYPE] [--zone Z] [--cid E120] [--rate N] [--count N] [--heartbeat SECONDS] [--config F] [--data-dir D]\n' +
    '  simulate panel --dc09 --id ID [--url tcp://host:port | udp://host:port] [--account A] [--key HEX] [--line L] [--receiver R] [--format sia|cid] [--panic | --event TYPE | --sia PA | --cid E120] [--zone Z] [--rate N] [--count N] [--seq N] [--heartbeat SECONDS]',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        ...commonOptions,
        id: { type: 'string' },
        secret: { type: 'string' },
        url: { type: 'string' },
        panic: { type: 'boolean' },
        event: { type: 'string' },
        zone: { type: 'string' },
        cid: { type: 'string' },
        rate: { type: 'string' },
        count: { type: 'string' },
        heartbeat: { type: 'string' },
        'no-wait': { type: 'boolean' },
        dc09: { type: 'boolean' },
        account: { type: 'string' },
        key: { type: 'string' },
        line: { type: 'string' },
        receiver: { type: 'string' },
        format: { type: 'string' },
        sia: { type: 'string' },
        seq: { type: 'string' },
      },
      strict: true,
    });
    if (!values.id) throw new Error('--id is required');
    const { config } = configFrom(values);
    const panel = config.panels.find((p) => p.id === values.id);
    if (values.dc09) return runDc09();
    const secret = values.secret ?? panel?.secret;
    if (!secret) throw new Error(`--secret is required: panel ${values.id} is not in the config`);
    let type: PanelWireEventType | undefined = values.panic ? 'panic' : undefined;
    if (values.event !== undefined) {
      if (!PANEL_EVENT_TYPES.includes(values.event as PanelWireEventType))
        throw new Error(`--event must be one of ${PANEL_EVENT_TYPES.join(', ')}, got "${values.event}"`);
      type = values.event as PanelWireEventType;
    }
    const rate = positive('rate', values.rate);
    const count = positive('count', values.count) ?? (type && !rate ? 1 : undefined);
    if (rate && !type) type = 'test';
    const heartbeat = positive('heartbeat', values.heartbeat) ?? panel?.heartbeatSeconds;

    const sim = new PanelSimulator({
      url: values.url ?? brokerUrl(config),
      id: values.id,
      secret,
      prefix: config.mqtt.topicPrefix,
      ...(heartbeat ? { heartbeatSeconds: heartbeat } : {}),
    });
    const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
    sim.on('ack', (ack) => out({ ack }));
    sim.on('command', (command) => out({ command }));
    await sim.connect();
    out({ connected: values.id });

    let stop = false;
    let resolveStop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => {
      resolveStop = resolve;
    });
    const onSignal = () => {
      stop = true;
      resolveStop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      return await drive();
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }

    async function drive(): Promise<number> {
      if (type) {
        const extra = {
          ...(values.zone ? { zone: values.zone } : {}),
          ...(values.cid ? { cid: values.cid } : {}),
        };
        const gapMs = rate ? 1000 / rate : 0;
        const sent: string[] = [];
        const start = Date.now();
        for (let i = 0; !stop && (count === undefined || i < count); i++) {
          // Paced against the start time, so a slow PUBACK does not lower the rate.
          const due = start + i * gapMs - Date.now();
          if (due > 0) await new Promise((r) => setTimeout(r, due));
          const id = await sim.send(type, extra);
          sent.push(id);
          out({ sent: id, type });
        }
        // The first ack says the service committed the event (a panel's "received" lamp).
        if (!values['no-wait'] && sent.length > 0 && sent.length <= 100) {
          await Promise.all(sent.map((id) => sim.waitForAck(id)));
        }
        // Events sent from the command line, often as a panel that is running: leaving is not the
        // panel going dark, so no retained `offline` (a false communication-lost trouble).
        await sim.detach();
        return 0;
      }
      await stopped;
      await sim.close();
      return 0;
    }

    /** `--dc09`: a SIA DC-09 panel. Each event waits for its answer, as a panel does. */
    async function runDc09(): Promise<number> {
      let type: PanelWireEventType | undefined = values.panic ? 'panic' : undefined;
      if (values.event !== undefined) {
        if (!PANEL_EVENT_TYPES.includes(values.event as PanelWireEventType))
          throw new Error(`--event must be one of ${PANEL_EVENT_TYPES.join(', ')}, got "${values.event}"`);
        type = values.event as PanelWireEventType;
      }
      const id = values.id as string;
      const opts = {
        panelId: id,
        url: values.url,
        account: values.account,
        key: values.key,
        line: values.line,
        receiver: values.receiver,
        format: values.format,
        type,
        zone: values.zone,
        cid: values.cid,
        sia: values.sia,
        seq: values.seq,
      };
      const sends = type !== undefined || values.cid !== undefined || values.sia !== undefined;
      const rate = positive('rate', values.rate);
      const count = positive('count', values.count) ?? (sends && !rate ? 1 : undefined);
      const pollSeconds = positive('heartbeat', values.heartbeat) ?? panel?.heartbeatSeconds ?? 60;
      const dialler = await dc09Dialler(config, panel, opts);
      const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
      let stop = false;
      const onSignal = () => {
        stop = true;
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let failures = 0;
      const send = async (msg: Parameters<typeof dialler.send>[0], code: string) => {
        try {
          const reply = await dialler.send(msg);
          out({
            sent: msg.type,
            code,
            seq: reply.seq,
            reply: reply.kind,
            ms: Math.round(reply.ms),
            attempts: reply.attempts,
          });
          if (reply.kind !== 'ACK') failures++;
        } catch (err) {
          failures++;
          out({ sent: msg.type, code, error: err instanceof Error ? err.message : String(err) });
        }
      };
      try {
        if (sends || rate) {
          const msg = dc09Message(dialler.account, opts);
          const gapMs = rate ? 1000 / rate : 0;
          const start = Date.now();
          for (let i = 0; !stop && (count === undefined || i < count); i++) {
            const due = start + i * gapMs - Date.now();
            if (due > 0) await new Promise((r) => setTimeout(r, due));
            await send(msg, msg.code);
          }
        } else {
          // No event: poll like a supervised panel until Ctrl-C.
          while (!stop) {
            await send({ type: 'NULL' }, 'NULL');
            for (let waited = 0; !stop && waited < pollSeconds * 1000; waited += 200)
              await new Promise((r) => setTimeout(r, 200));
          }
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await dialler.close();
      }
      return failures === 0 ? 0 : 1;
    }
  },
};

import { parseArgs } from 'node:util';
import { PANEL_EVENT_TYPES, type PanelWireEventType } from '../../drivers/mqtt-panel/protocol.js';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import type { Config } from '../config/schema.js';
import { commonOptions, configFrom, type Verb } from './common.js';

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
  summary: 'run a simulated alarm panel (panel protocol v1): heartbeats, events, answers commands',
  usage:
    'simulate panel --id ID [--secret S] [--url mqtt://host:port] [--panic | --event TYPE] [--zone Z] [--cid E120] [--rate N] [--count N] [--heartbeat SECONDS] [--config F] [--data-dir D]',
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
      },
      strict: true,
    });
    if (!values.id) throw new Error('--id is required');
    const { config } = configFrom(values);
    const panel = config.panels.find((p) => p.id === values.id);
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
        await sim.close();
        return 0;
      }
      await stopped;
      await sim.close();
      return 0;
    }
  },
};

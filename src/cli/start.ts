import { parseArgs } from 'node:util';
import { DEMO_USERS } from '../demo/demo-module.js';
import { createLogger, type Logger, redactUrl } from '../log.js';
import { startService } from '../main.js';
import { lowerHelperThreads } from '../util/helper-threads.js';
import { commonOptions, configFrom, intOption, type Verb } from './common.js';

export const startVerb: Verb = {
  name: 'start',
  summary: 'run the service (with no --config: the demo city)',
  usage: 'start [--config F] [--data-dir D] [--http-port N] [--mqtt-port N] [--no-demo]',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        ...commonOptions,
        'http-port': { type: 'string' },
        'mqtt-port': { type: 'string' },
        'no-demo': { type: 'boolean' },
        demo: { type: 'boolean' },
      },
      strict: true,
    });
    const { config, file } = configFrom(values);
    const httpPort = intOption('http-port', values['http-port']);
    const mqttPort = intOption('mqtt-port', values['mqtt-port']);
    if (httpPort !== undefined) config.http.port = httpPort;
    if (mqttPort !== undefined) {
      if (!config.mqtt.embedded)
        throw new Error('--mqtt-port applies to the embedded broker; this config uses mqtt.url');
      config.mqtt.embedded.port = mqttPort;
    }
    const demo = values.demo === true || (values.config === undefined && values['no-demo'] !== true);
    const log = createLogger();
    const running = await startService({ config, configFile: file, log, demo });
    const { svc } = running;
    keepHelpersLow(log);

    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'service: stopping');
      running.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'service: stop failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));

    const lines = [
      '',
      `Sharpeyes is running. Console: ${svc.url}/`,
      config.mqtt.url
        ? `  MQTT panels: external broker ${redactUrl(config.mqtt.url)}  (topic prefix ${config.mqtt.topicPrefix})`
        : `  MQTT panels: mqtt://127.0.0.1:${String(svc.parts.get('mqttPort'))}  (topic prefix ${config.mqtt.topicPrefix})`,
      `  data dir: ${config.storage.dataDir}   config: ${file}`,
    ];
    if (demo) {
      lines.push('  Demo accounts (created on first start):');
      for (const u of DEMO_USERS)
        lines.push(`    ${u.username.padEnd(13)} ${u.password.padEnd(16)} ${u.role} @ ${u.scope}`);
    }
    process.stdout.write(`${lines.join('\n')}\n\n`);
    // Keep running until a signal.
    return new Promise<number>(() => undefined);
  },
};

/**
 * The service's other threads run below its main thread, the alarm path's (issue 13,
 * src/util/helper-threads.ts): now, and every 10 s for threads started since (libuv's pool, a new
 * worker). A refusal is logged once; the service runs as before.
 */
function keepHelpersLow(log: Logger): void {
  let warned = false;
  const pass = () => {
    const r = lowerHelperThreads();
    if (r.failed > 0 && !warned) {
      warned = true;
      log.warn(
        { err: r.error, threads: r.failed },
        "service: helper threads run at the alarm thread's priority (could not lower them)",
      );
    }
  };
  pass();
  setInterval(pass, 10_000).unref();
}

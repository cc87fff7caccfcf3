import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface ChildService {
  child: ChildProcess;
  httpUrl: string;
  mqttUrl: string;
  output(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `sharpeyes start …` as a real process and waits for the URLs it prints. */
export async function startChildService(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildService> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'sharpeyes.js'), 'start', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const urls = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${out}`)), 30_000);
    const check = () => {
      const http = /Console: (http:\/\/[\d.:]+)\//.exec(out)?.[1];
      const mqtt = /MQTT panels: (mqtt:\/\/[\d.:]+)/.exec(out)?.[1];
      if (http && mqtt) {
        clearTimeout(timer);
        resolve([http, mqtt]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited ${code} before starting:\n${out}`));
    });
  });
  return {
    child,
    httpUrl: urls[0],
    mqttUrl: urls[1],
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

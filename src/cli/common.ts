import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, loadConfig } from '../config/load.js';

export const DEFAULT_CONFIG = join(import.meta.dirname, '..', '..', 'config', 'demo.yaml');

/** A CLI verb: `run` returns the process exit code. */
export interface Verb {
  name: string;
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

/** Options every verb takes (DESIGN.md: `--config` and `--data-dir`). */
export const commonOptions = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Loads `--config` (or the demo city) and applies `--data-dir`. */
export function configFrom(values: { config?: string | undefined; 'data-dir'?: string | undefined }): {
  config: Config;
  file: string;
} {
  const file = values.config ?? DEFAULT_CONFIG;
  if (!existsSync(file)) throw new Error(`config file ${file} does not exist`);
  const config = loadConfig(file);
  if (values['data-dir']) config.storage.dataDir = values['data-dir'];
  return { config, file };
}

export function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--${name} must be a port number, got "${value}"`);
  return n;
}

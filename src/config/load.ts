import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { SharpeyesError } from '../errors.js';
import { type Config, configSchema } from './schema.js';

export class ConfigError extends SharpeyesError {
  constructor(file: string, problems: string[]) {
    super('config', `${file} is invalid:\n  ${problems.join('\n  ')}`, { file, problems });
    this.name = 'ConfigError';
  }
}

/** `${NAME}` and `${NAME:-default}` from the environment; a missing variable without default is an error. */
export function substituteEnv(text: string, env: NodeJS.ProcessEnv, file: string): string {
  const missing: string[] = [];
  const out = text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (_m, name: string, fallback?: string) => {
      const value = env[name];
      if (value !== undefined) return value;
      if (fallback !== undefined) return fallback;
      missing.push(name);
      return '';
    },
  );
  if (missing.length > 0) {
    throw new ConfigError(
      file,
      missing.map((n) => `environment variable \${${n}} is not set`),
    );
  }
  return out;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys')
      return `${path}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${path}: ${issue.message}`;
  });
}

/** Parses and validates a config from YAML text; `file` names it in errors. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const doc = parseDocument(substituteEnv(text, env, file));
  if (doc.errors.length > 0)
    throw new ConfigError(
      file,
      doc.errors.map((e) => `YAML: ${e.message}`),
    );
  const raw = doc.toJS() ?? {};
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file, formatIssues(result.error.issues));
  return result.data;
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new SharpeyesError('config', `cannot read ${file}`, { file }, { cause });
  }
  return parseConfig(text, file, env);
}

export type { Config };

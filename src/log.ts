import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Every path that could hold a secret is redacted: panel secrets, camera passwords, tokens and
 * credentials embedded in URLs are never written to the log.
 */
const REDACT = [
  'secret',
  '*.secret',
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
];

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  const level = options.level ?? process.env['LOG_LEVEL'] ?? 'info';
  return pino(
    { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { svc: 'sharpeyes' } },
    options.destination,
  );
}

/** Removes `user:password@` from URLs so they can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/(\w+:\/\/)([^@/\s]+)@/g, '$1[redacted]@');
}

/** A logger for tests and tools that should stay quiet. */
export const silentLogger: Logger = pino({ level: 'silent' });

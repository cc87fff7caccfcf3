import { readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { z } from 'zod';
import type { httpSchema } from '../config/sections/http.js';
import { SharpeyesError } from '../errors.js';

type HttpConfig = z.output<typeof httpSchema>;

function readPem(file: string, what: 'cert' | 'key'): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    throw new SharpeyesError('http', `http.tls.${what}: cannot read ${file}`, { file }, { cause: err });
  }
  if (!pem.includes('-----BEGIN'))
    throw new SharpeyesError('http', `http.tls.${what}: ${file} is not a PEM file`, { file });
  return pem;
}

/**
 * The server the API, console, Socket.IO and `/live` share: HTTPS when `http.tls` names a
 * certificate and key (read once at start; a bad file stops the start with the key path named),
 * else plain HTTP. Both answer the same `request`/`upgrade` events, so nothing else changes.
 */
export function createHttpServer(
  cfg: HttpConfig,
  app: RequestListener,
): { server: HttpServer; scheme: 'http' | 'https' } {
  if (!cfg.tls) return { server: createServer(app), scheme: 'http' };
  const cert = readPem(cfg.tls.cert, 'cert');
  const key = readPem(cfg.tls.key, 'key');
  let server: ReturnType<typeof createHttpsServer>;
  try {
    server = createHttpsServer({ cert, key, minVersion: cfg.tls.minVersion }, app);
  } catch (err) {
    throw new SharpeyesError(
      'http',
      `http.tls: the certificate and key do not make a TLS server: ${String(err)}`,
      {
        cert: cfg.tls.cert,
        key: cfg.tls.key,
      },
    );
  }
  // https.Server has every method of http.Server the service uses (listen, close, address,
  // closeAllConnections, 'upgrade'); the types differ only in their TLS base class.
  return { server: server as unknown as HttpServer, scheme: 'https' };
}

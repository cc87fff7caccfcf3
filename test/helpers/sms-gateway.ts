import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message as the notifier posts it to an SMS gateway, with its `Authorization` header if any. */
export interface SmsMessage {
  id?: string;
  to: string;
  text: string;
  auth?: string;
}

export interface SmsGateway {
  /** What a `kind: sms` channel's `url` is set to. */
  url: string;
  /** The messages the gateway took, in order (a refused one is not among them). */
  sent: SmsMessage[];
  close(): Promise<void>;
}

/**
 * A real SMS gateway on loopback (HTTP, `POST /send`, JSON `{id, to, text}`) for the notifier's
 * tests. `refuseFirst`: the first so many requests get 503 busy, a gateway hiccup the notifier must
 * retry. `answerAfterMs`: a slow gateway, which takes the message at once but answers 200 only then.
 */
export async function startSmsGateway(
  opts: { refuseFirst?: number; answerAfterMs?: number } = {},
): Promise<SmsGateway> {
  const sent: SmsMessage[] = [];
  let calls = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      if (++calls <= (opts.refuseFirst ?? 0)) {
        res.writeHead(503).end('busy');
        return;
      }
      const m = JSON.parse(body) as SmsMessage;
      sent.push({ ...m, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (opts.answerAfterMs) setTimeout(answer, opts.answerAfterMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/send`,
    sent,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        // A slow answer still pending would hold close() until it is written.
        server.closeAllConnections();
      }),
  };
}

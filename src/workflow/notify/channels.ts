import nodemailer, { type Transporter } from 'nodemailer';
import type { NotifierChannel } from '../../config/sections/notifiers.js';
import { signBody } from '../../webhooks/webhook-sender.js';
import type { Notification } from './notification-store.js';

/** Sends one message over one channel; resolves with a receipt, throws with a reason to retry. */
export type Send = (n: Notification) => Promise<string>;

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = (await res.text()).slice(0, 200);
  if (!res.ok) throw new Error(`notify: HTTP ${res.status} from the receiver: ${text}`);
  return `HTTP ${res.status} ${text}`.trim();
}

/** The sender for a configured channel (email over SMTP with nodemailer, SMS gateway, webhook). */
export function channelSender(ch: NotifierChannel): { send: Send; close(): void } {
  switch (ch.kind) {
    case 'email': {
      const t: Transporter = nodemailer.createTransport({
        host: ch.host,
        port: ch.port,
        secure: ch.secure,
        requireTLS: ch.requireTLS,
        connectionTimeout: ch.timeoutMs,
        greetingTimeout: ch.timeoutMs,
        socketTimeout: ch.timeoutMs,
        ...(ch.user ? { auth: { user: ch.user, pass: ch.pass ?? '' } } : {}),
        // A receiver on the same host offers a self-signed certificate; a real relay is checked.
        tls: { rejectUnauthorized: ch.host !== '127.0.0.1' && ch.host !== 'localhost' },
      });
      return {
        async send(n) {
          const info = await t.sendMail({
            from: ch.from,
            to: n.address,
            subject: n.subject,
            text: n.body,
            headers: { 'X-Sharpeyes-Notification': n.id },
          });
          return `${info.messageId} ${info.response}`;
        },
        close: () => t.close(),
      };
    }
    case 'sms':
      return {
        send: (n) =>
          post(
            ch.url,
            JSON.stringify({
              id: n.id,
              to: n.address,
              text: `${n.subject}\n${n.body}`,
              ...(ch.from ? { from: ch.from } : {}),
            }),
            ch.token ? { authorization: `Bearer ${ch.token}` } : {},
            ch.timeoutMs,
          ),
        close: () => {},
      };
    case 'webhook':
      return {
        send(n) {
          const body = JSON.stringify({
            id: n.id,
            to: n.recipient,
            text: `${n.subject}\n${n.body}`,
            reason: n.reason,
            incident: n.incidentId,
            site: n.site,
          });
          return post(
            ch.url,
            body,
            { 'x-sharpeyes-signature': signBody(ch.secret, body), 'x-sharpeyes-delivery': n.id },
            ch.timeoutMs,
          );
        },
        close: () => {},
      };
  }
}

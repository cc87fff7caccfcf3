import { randomUUID } from 'node:crypto';
import { text, type XmlNode } from '../../onvif/onvif-xml.js';
import * as R from './onvif-replies.js';

export type SimEventKind = 'motion' | 'tamper' | 'video_loss';

/** Topics as Hikvision sends them (RuleEngine) plus the Profile S video-source topic for loss. */
const TOPICS: Record<SimEventKind, { topic: string; item: string }> = {
  motion: { topic: 'tns1:RuleEngine/CellMotionDetector/Motion', item: 'IsMotion' },
  tamper: { topic: 'tns1:RuleEngine/TamperDetector/Tamper', item: 'IsTamper' },
  video_loss: { topic: 'tns1:VideoSource/SignalLoss', item: 'State' },
};

interface Sub {
  queue: R.SimMessage[];
  expires: number;
  waiter: (() => void) | undefined;
}

/** ISO-8601 duration `PT5S` / `PT1M` → ms (what ONVIF clients send for timeouts). */
export function durationMs(s: string | undefined, fallback: number): number {
  const m = /^PT(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(s ?? '');
  if (!m || (!m[1] && !m[2])) return fallback;
  return (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 1000;
}

/** PullPoint subscriptions of the simulated camera, long-polled like a real one. */
export class SimEventQueue {
  private readonly subs = new Map<string, Sub>();
  private closed = false;

  raise(kind: SimEventKind, active: boolean): void {
    const msg = message(kind, active, 'Changed');
    for (const s of this.subs.values()) {
      s.queue.push(msg);
      s.waiter?.();
    }
  }

  forgetAll(): void {
    for (const s of this.subs.values()) s.waiter?.();
    this.subs.clear();
  }

  close(): void {
    this.closed = true;
    for (const s of this.subs.values()) s.waiter?.();
    this.subs.clear();
  }

  get subscriptions(): number {
    return this.subs.size;
  }

  async answer(
    route: string,
    action: string,
    op: XmlNode,
    base: string,
  ): Promise<{ xml: string; status?: number } | undefined> {
    const now = new Date();
    this.expire(now.getTime());
    if (action === 'CreatePullPointSubscription') {
      const id = randomUUID();
      const ttl = durationMs(text(op, 'InitialTerminationTime'), 60_000);
      // Like real cameras: the current state of each property first, as `Initialized`.
      this.subs.set(id, {
        queue: [message('motion', false, 'Initialized'), message('tamper', false, 'Initialized')],
        expires: now.getTime() + ttl,
        waiter: undefined,
      });
      return { xml: R.subscription(`${base}/onvif/subscription/${id}`, now, new Date(now.getTime() + ttl)) };
    }
    const id = route.startsWith('/onvif/subscription/') ? route.slice('/onvif/subscription/'.length) : '';
    const sub = this.subs.get(id);
    if (['PullMessages', 'Renew', 'Unsubscribe'].includes(action) && !sub) {
      return { xml: R.fault('Sender', 'ter:InvalidArgVal', 'no such subscription'), status: 400 };
    }
    if (!sub) return undefined;
    switch (action) {
      case 'PullMessages': {
        const limit = Number(text(op, 'MessageLimit') ?? 100);
        if (sub.queue.length === 0 && !this.closed) {
          const wait = Math.min(durationMs(text(op, 'Timeout'), 5000), 60_000);
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, wait);
            sub.waiter = () => {
              clearTimeout(t);
              resolve();
            };
          });
          sub.waiter = undefined;
        }
        const out = sub.queue.splice(0, Math.max(1, limit));
        return { xml: R.pullMessages(new Date(), new Date(sub.expires), out) };
      }
      case 'Renew': {
        sub.expires = now.getTime() + durationMs(text(op, 'TerminationTime'), 60_000);
        return { xml: R.renew(now, new Date(sub.expires)) };
      }
      case 'Unsubscribe':
        this.subs.delete(id);
        sub.waiter?.();
        return { xml: R.empty('Unsubscribe', 'wsnt') };
      default:
        return undefined;
    }
  }

  private expire(now: number): void {
    for (const [id, s] of this.subs) if (s.expires < now) this.subs.delete(id);
  }
}

function message(kind: SimEventKind, active: boolean, operation: R.SimMessage['operation']): R.SimMessage {
  const t = TOPICS[kind];
  return {
    topic: t.topic,
    utcTime: new Date().toISOString(),
    operation,
    source: { VideoSourceConfigurationToken: 'VideoSourceToken', Rule: 'MyMotionDetectorRule' },
    data: { [t.item]: active ? 'true' : 'false' },
  };
}

import type { Kysely } from 'kysely';
import type { IncidentChange } from '../../bus.js';
import type { Config } from '../../config/schema.js';
import type { CallContact } from '../../config/sections/call-lists.js';
import type { NotifiersConfig, NotifyOn } from '../../config/sections/notifiers.js';
import type { Directory } from '../../core/directory.js';
import type { EventCore } from '../../core/event-core.js';
import type { Logger } from '../../log.js';
import type { OutboxRow } from '../../outbox/outbox.js';
import type { OutboxSink } from '../../outbox/outbox-dispatcher.js';
import type { DB } from '../../store/db-types.js';
import { SingleFlight } from '../../util/single-flight.js';
import { channelSender, type Send } from './channels.js';
import { type Moment, messageFor } from './messages.js';
import type { NewNotification, Notification, NotificationStore } from './notification-store.js';

export interface NotifierDeps {
  k: Kysely<DB>;
  cfg: Config;
  dir: Directory;
  core: EventCore;
  store: NotificationStore;
  log: Logger;
  now: () => Date;
}

/** How long past a channel's timeout a claimed attempt stays another node's to leave alone. */
const CLAIM_MARGIN_MS = 30_000;

/** What an outbox row tells contacts about, if anything. */
function momentOf(row: OutboxRow): NotifyOn | undefined {
  if (row.topic === 'incident:new') return 'opened';
  if (row.topic !== 'incident:update') return undefined;
  const c = row.payload['change'] as IncidentChange;
  if (c.kind === 'transition' && (c.to === 'resolved' || c.to === 'false_alarm')) return 'closed';
  if (c.kind === 'priority' && c.confirmedBy) return 'confirmed';
  if (c.kind === 'workflow' && c.what === 'confirmation') return 'confirmed';
  if (c.kind === 'workflow' && c.what === 'forward') return 'forwarded';
  return undefined;
}

/**
 * Notifications to keyholders and site owners (issue 17): an outbox sink turns incident changes into
 * `notifications` rows (one per contact and channel, ids fixed by the outbox row so a redelivery adds
 * none), and a worker sends the due ones outside any transaction, retrying with backoff until sent,
 * out of attempts or too old. The final outcome of each is announced on its incident (timeline, audit).
 */
export class Notifier {
  private readonly senders = new Map<string, { send: Send; close(): void }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly flight = new SingleFlight(
    () => this.sendDue(),
    (err) => this.deps.log.error({ err }, 'notify: send pass failed; retried next second'),
  );
  private stopped = false;
  private readonly ncfg: NotifiersConfig;

  constructor(private readonly deps: NotifierDeps) {
    this.ncfg = deps.cfg.notifiers;
    for (const ch of this.ncfg.channels) this.senders.set(ch.id, channelSender(ch));
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.flight.settled();
    for (const s of this.senders.values()) s.close();
  }

  sink(): OutboxSink {
    return {
      name: 'workflow-notify',
      durable: true,
      batch: 256,
      handle: async (rows) => {
        const out: NewNotification[] = [];
        for (const row of rows) {
          const on = momentOf(row);
          if (!on || !row.incidentId) continue;
          const inc = await this.deps.core.decisions.incidentSummary(this.deps.k, row.incidentId);
          if (!inc) continue;
          out.push(
            ...this.plan(`o${row.seq}`, on, {
              incidentId: inc.id,
              site: inc.site,
              jurisdiction: inc.jurisdiction,
              kind: inc.kind,
              priority: inc.priority,
            }),
          );
        }
        if (out.length === 0) return;
        await this.deps.store.enqueue(this.deps.k, out, this.deps.now().toISOString());
        void this.flush();
      },
    };
  }

  /** Test mode started or ended at a site (no incident). */
  async siteMoment(
    site: string,
    what: 'test_mode',
    detail: { started: boolean; minutes?: number; reason?: string },
    ref: string,
  ) {
    const s = this.deps.dir.site(site);
    if (!s) return;
    const rows = this.plan(
      ref,
      what,
      { incidentId: null, site, jurisdiction: s.jurisdiction, kind: 'alarm', priority: 4 },
      detail,
    );
    await this.deps.store.enqueue(this.deps.k, rows, this.deps.now().toISOString());
    void this.flush();
  }

  /**
   * The operator's notify button: one contact of the incident's call list, through every channel
   * it has an address for (or the one named). No rule decides it; the rows go in the caller's
   * transaction with the timeline entry, and are sent by the same worker, tracked and retried.
   */
  manual(
    ref: string,
    inc: { id: string; site: string; jurisdiction: string; priority: number },
    contact: number,
    opts: { channel?: string; note?: string } = {},
  ): NewNotification[] {
    // The same list the incident page shows (callListOf): the call list, else the site's contacts.
    const list: CallContact[] =
      this.deps.cfg.callLists[inc.site] ??
      (this.deps.dir.site(inc.site)?.contacts ?? []).map((x) => ({ ...x, notify: false }));
    const c = list[contact];
    if (!c) return [];
    return this.rowsFor(ref, 'manual', c, contact, inc.id, inc.site, inc.jurisdiction, {
      priority: inc.priority,
      ...(opts.note ? { note: opts.note } : {}),
    }).filter((n) => !opts.channel || n.channel === opts.channel);
  }

  /** Channels configured (ids and kinds), for the notify button. */
  channels(): { id: string; kind: string }[] {
    return this.ncfg.channels.map((ch) => ({ id: ch.id, kind: ch.kind }));
  }

  private rowsFor(
    ref: string,
    on: Moment,
    c: CallContact,
    i: number,
    incidentId: string | null,
    site: string,
    jurisdiction: string,
    facts: Record<string, unknown> & { priority: number },
  ): NewNotification[] {
    const out: NewNotification[] = [];
    for (const ch of this.ncfg.channels) {
      if (c.channels && !c.channels.includes(ch.id)) continue;
      const address = ch.kind === 'email' ? c.email : ch.kind === 'sms' ? c.phone : c.name;
      if (!address) continue;
      const msg = messageFor(this.ncfg.language, on, {
        site: this.deps.dir.site(site)?.name ?? site,
        incident: incidentId,
        ...facts,
      });
      out.push({
        id: `${ref}:${on}:${i}:${ch.id}`,
        incidentId,
        site,
        jurisdiction,
        reason: on,
        channel: ch.id,
        kind: ch.kind,
        recipient: c.name,
        address,
        ...msg,
      });
    }
    return out;
  }

  /** The rows for a moment: contacts by the rules' roles (or notify: true), per allowed channel. */
  private plan(
    ref: string,
    on: Moment,
    t: {
      incidentId: string | null;
      site: string;
      jurisdiction: string;
      kind: 'alarm' | 'maintenance';
      priority: number;
    },
    extra: Record<string, unknown> = {},
  ): NewNotification[] {
    const contacts: CallContact[] = this.deps.cfg.callLists[t.site] ?? [];
    const out: NewNotification[] = [];
    const seen = new Set<string>();
    for (const rule of this.ncfg.rules) {
      if (!rule.on.includes(on as NotifyOn)) continue;
      if (on !== 'test_mode' && !rule.kinds.includes(t.kind)) continue;
      if (rule.priorities && on !== 'test_mode' && !rule.priorities.includes(t.priority)) continue;
      contacts.forEach((c, i) => {
        const wanted = rule.roles ? rule.roles.includes(c.role ?? '') : c.notify;
        if (!wanted) return;
        const rows = this.rowsFor(ref, on, c, i, t.incidentId, t.site, t.jurisdiction, {
          priority: t.priority,
          ...extra,
        });
        for (const n of rows) {
          if (rule.channels && !rule.channels.includes(n.channel)) continue;
          if (seen.has(n.id)) continue;
          seen.add(n.id);
          out.push(n);
        }
      });
    }
    return out;
  }

  /** Sends what is due; never two passes at once (tests await it). */
  flush(): Promise<void> {
    return this.flight.run();
  }

  private async sendDue(): Promise<void> {
    const { k, store } = this.deps;
    for (;;) {
      if (this.stopped) return;
      const due = await store.due(k, this.deps.now().toISOString(), 20);
      if (due.length === 0) return;
      await Promise.all(due.map((n) => this.attempt(n)));
    }
  }

  private async attempt(n: Notification): Promise<void> {
    const { k, store } = this.deps;
    const sender = this.senders.get(n.channel);
    const now = this.deps.now();
    // Every node's worker reads the same due rows: the one whose claim lands sends (two nodes sent
    // a keyholder the same SMS each before). Held past the attempt's timeout, with a margin.
    const timeoutMs = this.ncfg.channels.find((c) => c.id === n.channel)?.timeoutMs ?? 10_000;
    const until = new Date(now.getTime() + timeoutMs + CLAIM_MARGIN_MS).toISOString();
    if (!(await store.claim(k, n, until))) return;
    try {
      if (!sender) throw new Error(`notify: channel ${n.channel} is no longer configured`);
      const receipt = await sender.send(n);
      await store.sent(k, n.id, this.deps.now().toISOString(), receipt);
      await this.announce(n, 'sent', n.attempts + 1);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const attempts = n.attempts + 1;
      const backoff = Math.min(this.ncfg.initialBackoffMs * 2 ** (attempts - 1), this.ncfg.maxBackoffMs);
      const tooOld = now.getTime() - Date.parse(n.createdAt) > this.ncfg.maxAgeSeconds * 1000;
      const next =
        attempts >= this.ncfg.maxAttempts || tooOld || !sender
          ? undefined
          : new Date(now.getTime() + backoff).toISOString();
      await store.failedAttempt(k, n.id, now.toISOString(), reason, next);
      this.deps.log.warn(
        { id: n.id, channel: n.channel, attempts, reason, retry: next },
        'notify: delivery failed',
      );
      if (!next) await this.announce(n, 'failed', attempts, reason);
    }
  }

  private async announce(n: Notification, state: 'sent' | 'failed', attempts: number, error?: string) {
    if (!n.incidentId) return;
    await this.deps.core.announce(n.incidentId, {
      kind: 'workflow',
      what: 'notification',
      detail: {
        id: n.id,
        recipient: n.recipient,
        channel: n.channel,
        reason: n.reason,
        state,
        attempts,
        ...(error ? { error } : {}),
      },
    });
  }
}

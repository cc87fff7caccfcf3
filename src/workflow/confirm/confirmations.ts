import type { Kysely } from 'kysely';
import type { IncidentChange } from '../../bus.js';
import type { ConfirmationKind, WorkflowConfig } from '../../config/sections/workflow.js';
import { isCommunicationLoss } from '../../core/correlator.js';
import type { Directory } from '../../core/directory.js';
import type { EventCore } from '../../core/event-core.js';
import type { NormalizedEvent } from '../../core/events.js';
import { OPEN_STATES, type Priority } from '../../core/incident-types.js';
import type { OutboxSink } from '../../outbox/outbox-dispatcher.js';
import type { DB } from '../../store/db-types.js';
import type { IncidentSummary, Tx } from '../../store/decision-store.js';
import { stateIsOpen } from '../../store/open-states.js';
import type { Db } from '../db.js';

export interface Confirmation {
  /** The configured rule's name: what the incident says confirmed it. */
  rule: string;
  kind: ConfirmationKind;
  by: string;
  at: string;
  eventKey?: string;
  detail?: Record<string, unknown>;
}

/**
 * Confirmation rules from practice (issue 17) and the forward of a confirmed alarm to its station's
 * desk with the evidence. The core confirms a second zone or a second technology itself (its
 * sequential-confirmation rule); the workflow names that on the incident, and adds what only the
 * desk sees: a panic whose call-back is not answered, a video review that sees a person.
 */
export class Confirmations {
  constructor(
    private readonly k: Kysely<DB>,
    private readonly cfg: WorkflowConfig,
    private readonly dir: Directory,
    private readonly core: EventCore,
  ) {}

  /** The configured rule of a kind (a kind left out of the config confirms nothing). */
  ruleOf(kind: ConfirmationKind) {
    return this.cfg.confirmation.find((r) => r.kind === kind);
  }

  /** The station desk an incident is forwarded to: its nearest `station` node (else its own node). */
  stationOf(jurisdiction: string): string {
    return (
      this.dir.tree.ancestors(jurisdiction).find((id) => this.dir.tree.get(id)?.kind === 'station') ??
      jurisdiction
    );
  }

  /**
   * Records the confirmation (once per incident), confirms the incident as P1 in the core's own
   * table, and forwards it when configured. Returns the changes to announce in the same transaction.
   */
  async confirm(
    tx: Tx,
    inc: IncidentSummary,
    c: Confirmation,
    alreadyConfirmed = false,
  ): Promise<IncidentChange[]> {
    const done = await tx
      .selectFrom('incident_confirmations')
      .select('rule')
      .where('incident_id', '=', inc.id)
      .executeTakeFirst();
    if (done) return [];
    await tx
      .insertInto('incident_confirmations')
      .values({
        incident_id: inc.id,
        rule: c.rule,
        kind: c.kind,
        by_user: c.by,
        at: c.at,
        event_key: c.eventKey ?? null,
        detail: c.detail ? JSON.stringify(c.detail) : null,
      })
      .execute();
    const changes: IncidentChange[] = [];
    if (!alreadyConfirmed && inc.kind === 'alarm') {
      await this.core.decisions.confirm(tx, inc.id, 1 as Priority, c.rule, c.at);
      if (inc.priority > 1)
        changes.push({ kind: 'priority', from: inc.priority, to: 1, confirmedBy: c.rule });
    }
    changes.push({
      kind: 'workflow',
      what: 'confirmation',
      by: c.by,
      detail: { rule: c.rule, kind: c.kind, ...c.detail },
    });
    if (this.cfg.forwardConfirmed && inc.kind === 'alarm') changes.push(...(await this.forward(tx, inc, c)));
    return changes;
  }

  /** The forward to the station's desk, with what the centre knows (confirmation, events, calls, steps). */
  async forward(tx: Tx, inc: IncidentSummary, c: Confirmation): Promise<IncidentChange[]> {
    const station = this.stationOf(inc.jurisdiction);
    const evidence = await this.evidence(tx, inc.id);
    const r = await tx
      .insertInto('incident_forwards')
      .values({
        incident_id: inc.id,
        station,
        by_user: c.by,
        at: c.at,
        evidence: JSON.stringify({ confirmation: { rule: c.rule, kind: c.kind, ...c.detail }, ...evidence }),
      })
      .onConflict((oc) => oc.column('incident_id').doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return [];
    return [
      {
        kind: 'workflow',
        what: 'forward',
        by: c.by,
        detail: { station, confirmation: c.rule, ...evidence },
      },
    ];
  }

  private async evidence(db: Db, id: string) {
    const events = await db
      .selectFrom('incident_events as ie')
      .innerJoin('events as e', 'e.key', 'ie.event_key')
      .select(['e.type', 'e.device', 'e.zone', 'e.received_at'])
      .where('ie.incident_id', '=', id)
      .orderBy('e.received_at')
      .limit(20)
      .execute();
    const calls = await db
      .selectFrom('incident_calls')
      .select(['name', 'result', 'at'])
      .where('incident_id', '=', id)
      .orderBy('seq')
      .execute();
    const clips = await db
      .selectFrom('clips')
      .select(['camera', 'url'])
      .where('incident_id', '=', id)
      .execute();
    return {
      events: events.map((e) => ({
        type: e.type,
        device: e.device,
        ...(e.zone ? { zone: e.zone } : {}),
        at: e.received_at,
      })),
      calls,
      clips,
    };
  }

  /**
   * What a confirming event is, in practice's terms: a second intrusion zone; a person the detector
   * or the verification model reports (at its rule's least score); the panel going silent; else a
   * second technology (a linked camera's motion).
   */
  kindOf(ev: Pick<NormalizedEvent, 'type' | 'cid' | 'detail'>): ConfirmationKind {
    if (ev.type === 'intrusion') return 'zones';
    if (ev.type === 'person' && this.personScoreHolds(ev)) return 'video_person';
    if (isCommunicationLoss(ev as NormalizedEvent)) return 'communication_loss';
    return 'technologies';
  }

  private personScoreHolds(ev: Pick<NormalizedEvent, 'detail'>): boolean {
    const score = ev.detail?.['score'];
    // A camera that reports a person without a score has decided by itself.
    return typeof score !== 'number' || score >= (this.ruleOf('video_person')?.minScore ?? 0.5);
  }

  /** Confirms `id` by `ev` when it is still an open, unconfirmed alarm (named once, like the others). */
  private async confirmBy(id: string, ev: NormalizedEvent, kind: ConfirmationKind, at: string) {
    const rule = this.ruleOf(kind);
    if (!rule) return;
    await this.core.apply(
      id,
      'system',
      async (tx, inc) => {
        if (inc.kind !== 'alarm' || inc.confirmed || !OPEN_STATES.includes(inc.state)) return [];
        const score = ev.detail?.['score'];
        return this.confirm(tx, inc, {
          rule: rule.name,
          kind,
          by: 'system',
          at,
          eventKey: ev.key,
          detail: { event: ev.type, device: ev.device, ...(typeof score === 'number' ? { score } : {}) },
        });
      },
      { guard: false },
    );
  }

  /** Open, unconfirmed intrusion alarms of `device` at `site`: what its going silent confirms. */
  private async openIntrusionsOf(site: string, device: string): Promise<string[]> {
    const rows = await this.k
      .selectFrom('incidents as i')
      .innerJoin('incident_events as ie', 'ie.incident_id', 'i.id')
      .innerJoin('events as e', 'e.key', 'ie.event_key')
      .select('i.id')
      .distinct()
      .where('i.site', '=', site)
      .where('i.kind', '=', 'alarm')
      .where('i.confirmed', '=', 0)
      .where(stateIsOpen('i.state'))
      .where('e.type', '=', 'intrusion')
      .where('e.device', '=', device)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Names the core's own sequential confirmations on the incident (a second zone, a second technology,
   * a person on a linked camera, the panel going silent within the window), and confirms what the
   * core's window does not cover: a panel that goes silent while its intrusion alarm is still open,
   * and a person the verification model reports for an incident (its event names the incident).
   */
  sink(): OutboxSink {
    return {
      name: 'workflow-confirm',
      durable: true,
      batch: 256,
      handle: async (rows) => {
        for (const row of rows) {
          if (row.topic === 'event:stored') {
            if (row.payload['redelivered'] || row.payload['diverted']) continue;
            const ev = row.payload['event'] as NormalizedEvent;
            const kind = this.kindOf(ev);
            if (kind === 'communication_loss')
              for (const id of await this.openIntrusionsOf(ev.site, ev.device))
                await this.confirmBy(id, ev, kind, row.at);
            const named = ev.detail?.['incident'];
            if (kind === 'video_person' && typeof named === 'string')
              await this.confirmBy(named, ev, kind, row.at);
            continue;
          }
          if (row.topic !== 'incident:update' || !row.incidentId) continue;
          const change = row.payload['change'] as IncidentChange;
          if (change.kind !== 'priority' || !change.confirmedBy || !change.eventKey) continue;
          const ev = await this.k
            .selectFrom('events')
            .select(['type', 'cid', 'detail'])
            .where('key', '=', change.eventKey)
            .executeTakeFirst();
          if (!ev) continue;
          const detail = ev.detail ? (JSON.parse(ev.detail) as Record<string, unknown>) : undefined;
          const kind = this.kindOf({
            type: ev.type as NormalizedEvent['type'],
            ...(ev.cid ? { cid: ev.cid } : {}),
            ...(detail ? { detail } : {}),
          });
          const rule = this.ruleOf(kind);
          if (!rule) continue;
          const eventKey = change.eventKey;
          await this.core.apply(
            row.incidentId,
            'system',
            async (tx, inc) =>
              this.confirm(
                tx,
                inc,
                {
                  rule: rule.name,
                  kind,
                  by: 'system',
                  at: row.at,
                  eventKey,
                  detail: { coreRule: change.confirmedBy, event: ev.type },
                },
                true,
              ),
            { guard: false },
          );
        }
      },
    };
  }
}

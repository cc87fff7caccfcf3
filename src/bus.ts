import { EventEmitter } from 'node:events';
import type { NormalizedEvent } from './core/events.js';
import type { Escalation, Incident } from './core/incident-types.js';

/**
 * The one bus of the service (Frigate's Communicator, typed like MQTT.js's TypedEventEmitter).
 * The core publishes here; socket.io, panel acks, webhooks and streams subscribe. Subscribers must not
 * write to the store on the core's behalf: the core has committed before it publishes.
 */
export interface BusEvents {
  /** A driver's event has been committed to the store (new, not a redelivery). */
  'event:stored': [event: NormalizedEvent];
  'incident:new': [incident: Incident];
  'incident:update': [incident: Incident, change: IncidentChange];
  /** An unacknowledged incident was re-announced or escalated to `escalation.jurisdiction`'s desks. */
  'incident:escalated': [incident: Incident, escalation: Escalation];
}

/**
 * What changed on an incident. `eventKey` names the event that caused it, when one did: a confirming
 * camera event raises the priority, and its camera must get a clip like any joined event's.
 */
export type IncidentChange =
  | { kind: 'event'; eventKey: string; count?: number }
  | {
      kind: 'transition';
      from: string;
      to: string;
      by: string;
      note?: string;
      /** How it was closed (src/core/close-outcomes.ts), on a move to resolved or false_alarm. */
      outcome?: string;
      eventKey?: string;
    }
  | { kind: 'priority'; from: number; to: number; eventKey?: string; confirmedBy?: string }
  | {
      kind: 'escalation';
      step: number;
      jurisdiction: string;
      /** When it was taken, and when it fell due (the same moment, or later after a restart). */
      at?: string;
      dueAt?: string;
    }
  | { kind: 'clip'; camera: string; url?: string; snapshot?: string }
  | { kind: 'annotation'; what: string; by?: string }
  /**
   * Issue 17, the alarm-centre workflow: `what` is `step`, `call`, `owner`, `confirmation`, `forward`,
   * `notification`, `plan` or `runaway`; `detail` says what exactly (the step and its outcome...).
   */
  | { kind: 'workflow'; what: string; by?: string; detail?: Record<string, unknown> };

type Listener<A extends unknown[]> = (...args: A) => void;

export class Bus {
  private readonly emitter = new EventEmitter({ captureRejections: false });
  /** Where a listener's error goes; the service points it at its log. */
  onListenerError: (event: string, err: unknown) => void = (event, err) =>
    process.emitWarning(`bus: a listener of ${event} failed: ${String(err)}`);

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  on<K extends keyof BusEvents>(event: K, listener: Listener<BusEvents[K]>): () => void {
    this.emitter.on(event, listener as Listener<unknown[]>);
    return () => this.emitter.off(event, listener as Listener<unknown[]>);
  }

  /**
   * Calls every listener, each isolated: one that throws (a clip job, PTZ, a module not running on
   * this database) is reported and the others still run — the operators' socket push among them.
   */
  emit<K extends keyof BusEvents>(event: K, ...args: BusEvents[K]): void {
    for (const listener of this.emitter.listeners(event) as Listener<unknown[]>[]) {
      try {
        listener(...args);
      } catch (err) {
        this.onListenerError(event, err);
      }
    }
  }
}

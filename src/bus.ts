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

export type IncidentChange =
  | { kind: 'event'; eventKey: string }
  | { kind: 'transition'; from: string; to: string; by: string }
  | { kind: 'priority'; from: number; to: number }
  | { kind: 'escalation'; step: number; jurisdiction: string }
  | { kind: 'clip'; camera: string; url?: string; snapshot?: string }
  | { kind: 'annotation'; what: string; by?: string };

type Listener<A extends unknown[]> = (...args: A) => void;

export class Bus {
  private readonly emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  on<K extends keyof BusEvents>(event: K, listener: Listener<BusEvents[K]>): () => void {
    this.emitter.on(event, listener as Listener<unknown[]>);
    return () => this.emitter.off(event, listener as Listener<unknown[]>);
  }

  emit<K extends keyof BusEvents>(event: K, ...args: BusEvents[K]): void {
    this.emitter.emit(event, ...args);
  }
}

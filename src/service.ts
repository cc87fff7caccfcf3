import type { Server as HttpServer } from 'node:http';
import type { Express } from 'express';
import type { Server as IoServer, Namespace } from 'socket.io';
import type { AuditLog } from './audit/audit-log.js';
import type { Access } from './auth/access.js';
import type { AuthService } from './auth/auth-service.js';
import type { Bus } from './bus.js';
import type { Config } from './config/schema.js';
import type { Directory } from './core/directory.js';
import type { EventCore } from './core/event-core.js';
import { SharpeyesError } from './errors.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { Outbox } from './outbox/outbox.js';
import type { Store } from './store/sqlite.js';

/** A unit of the service with an explicit start and stop (go2rtc's module table). */
export interface Module {
  name: string;
  start(svc: Service): Promise<void>;
  stop?(svc: Service): Promise<void>;
}

export interface ServiceOptions {
  config: Config;
  /** Path of the config file the service was started with, for messages. */
  configFile?: string;
  log: Logger;
  metrics: Metrics;
  bus: Bus;
  /** Start the demo city's simulated devices. */
  demo: boolean;
}

/**
 * What modules share. Each part is set by the module that owns it and read by the modules after it
 * through `need`, which fails loudly when the module order is wrong.
 */
export class Service {
  readonly config: Config;
  readonly configFile: string | undefined;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly bus: Bus;
  readonly demo: boolean;
  readonly startedAt = new Date();

  store?: Store;
  dir?: Directory;
  access?: Access;
  auth?: AuthService;
  audit?: AuditLog;
  core?: EventCore;
  outbox?: Outbox;
  app?: Express;
  http?: HttpServer;
  io?: IoServer;
  ops?: Namespace;
  /** URL the console is served at, once listening. */
  url?: string;
  /** Named values modules publish for others (broker port, panel gateway, stream hub...). */
  readonly parts = new Map<string, unknown>();
  private readonly stopBegun = new AbortController();
  /**
   * Aborted when the service begins to stop, before its first module stops: what a module would start
   * on its own later (the demo's footage swap) is not begun while the others are letting go.
   */
  readonly stopping: AbortSignal = this.stopBegun.signal;

  constructor(opts: ServiceOptions) {
    this.config = opts.config;
    this.configFile = opts.configFile;
    this.log = opts.log;
    this.metrics = opts.metrics;
    this.bus = opts.bus;
    this.demo = opts.demo;
  }

  /** The stop has begun (`stopping`). */
  beginStop(): void {
    this.stopBegun.abort();
  }

  need<
    K extends
      | 'store'
      | 'dir'
      | 'access'
      | 'auth'
      | 'audit'
      | 'core'
      | 'outbox'
      | 'app'
      | 'http'
      | 'io'
      | 'ops',
  >(key: K): NonNullable<Service[K]> {
    const v = this[key];
    if (v === undefined || v === null)
      throw new SharpeyesError('service', `${key} is not started yet: check the module order in src/main.ts`);
    return v as NonNullable<Service[K]>;
  }

  part<T>(name: string): T {
    if (!this.parts.has(name))
      throw new SharpeyesError(
        'service',
        `part ${name} is not started yet: check the module order in src/main.ts`,
      );
    return this.parts.get(name) as T;
  }
}

import type { Module } from '../service.js';
import { hashGateLoad } from './passwords.js';

/**
 * Issue 15: starts what keeps sessions honest — the media-URL key, the re-check of every open
 * socket's session, the purge of expired sessions — and publishes their figures on /metrics.
 */
export const authModule: Module = {
  name: 'auth',
  async start(svc) {
    const auth = svc.need('auth');
    const closed = svc.metrics.counter(
      'sharpeyes_auth_sockets_closed_total',
      'Sockets closed because their session ended',
      ['reason'],
    );
    auth.watch.setOnClose((reason) => closed.inc({ reason }));
    const watched = svc.metrics.gauge(
      'sharpeyes_auth_watched_sockets',
      'Open sockets whose session is watched',
    );
    const throttled = svc.metrics.gauge('sharpeyes_auth_throttle_keys', 'Keys held by the login throttle', [
      'table',
    ]);
    const hashing = svc.metrics.gauge(
      'sharpeyes_auth_password_hashes',
      'Password hashes running and waiting',
      ['state'],
    );
    const collect = () => {
      watched.set(auth.watch.size);
      const t = auth.throttleSize;
      throttled.set({ table: 'user_address' }, t.users);
      throttled.set({ table: 'address' }, t.addresses);
      const g = hashGateLoad();
      hashing.set({ state: 'running' }, g.running);
      hashing.set({ state: 'waiting' }, g.waiting);
    };
    const timer = setInterval(collect, 5_000);
    timer.unref();
    svc.parts.set('auth.metricsTimer', timer);
    // Several nodes behind one balancer: failed logins are counted over all of them, in Redis when
    // there is one, else in the PostgreSQL they share. A SQLite store is one node's alone.
    if (svc.config.realtime.redis) auth.shareThrottle(svc.config.realtime.redis);
    else if (svc.need('store').dialect === 'postgres') auth.shareThrottleInStore();
    await auth.start();
  },
  async stop(svc) {
    svc.auth?.stop();
    if (svc.parts.has('auth.metricsTimer')) clearInterval(svc.part<NodeJS.Timeout>('auth.metricsTimer'));
  },
};

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { ev } from '../core/core-fixture.js';
import { startTestService } from '../helpers/service.js';
import { API_CITY_YAML } from './api-fixture.js';

describe('an event committed before a crash', () => {
  it('is decided at start, as of its arrival, and the incident it opens is audited', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sharpeyes-recover-'));
    const store = new SqliteStore(join(dataDir, 'sharpeyes.db'));
    const panic = ev('panic', { site: 'shop-1', device: 'panel-1' });
    await store.events.insertMany([panic]); // committed, never correlated: the process died here
    await store.close();

    const svc = await startTestService({ yaml: API_CITY_YAML, dataDir });
    try {
      const [inc] = await svc.svc.need('store').incidents.list({ site: 'shop-1' });
      expect(inc?.events.map((e) => e.key)).toEqual([panic.key]);
      expect(inc?.openedAt).toBe(panic.receivedAt);
      // The audit sink reads the outbox at its own pace.
      await svc.svc.part<OutboxDispatcher>('outbox.dispatcher').idle();
      const audit = svc.svc.need('audit');
      expect((await audit.list({ target: `incident:${inc?.id}` })).map((r) => r.action)).toEqual([
        'incident.open',
      ]);
      expect((await audit.verify()).ok).toBe(true);
    } finally {
      await svc.close();
    }
  });
});

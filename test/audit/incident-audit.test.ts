import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { auditConfigChange } from '../../src/audit/incident-audit.js';
import { type CoreFixture, ev, openCore } from '../core/core-fixture.js';

describe('incident audit sink', () => {
  let fx: CoreFixture | undefined;
  afterEach(async () => {
    await fx?.close();
    fx = undefined;
  });

  it('appends every kind of incident change, with who made it', async () => {
    fx = await openCore({ audit: true });
    const audit = fx.audit;
    const { incident } = await fx.core.ingest(ev('intrusion', { zone: '1' }));
    await fx.core.ingest(ev('intrusion', { zone: '1' })); // joins
    await fx.core.ingest(ev('intrusion', { zone: '2' })); // confirms
    await fx.core.announce(incident!, { kind: 'escalation', step: 1, jurisdiction: 'north' });
    await fx.core.transition(incident!, 'acknowledged', 'op-a', 'on it');
    await fx.core.addNote(incident!, 'op-b', 'called the owner');
    await fx.settle();
    const rows = (await audit.list({ target: `incident:${incident}` })).reverse();
    expect(rows.map((r) => [r.action, r.actor])).toEqual([
      ['incident.open', 'system'],
      ['incident.event', 'system'],
      ['incident.priority', 'system'],
      ['incident.escalation', 'system'],
      ['incident.acknowledged', 'op-a'],
      ['incident.annotation', 'op-b'],
    ]);
    expect(rows[2]?.detail).toEqual({
      from: 2,
      to: 1,
      confirmedBy: 'sequential-confirmation',
      event: expect.stringMatching(/^panel:panel-1:/),
    });
    expect(rows[4]?.detail).toEqual({ from: 'new', note: 'on it' });
    expect(await audit.verify()).toEqual({ ok: true, rows: 6 });
  });

  it('records a configuration change once, by hash only', async () => {
    fx = await openCore();
    const audit = new AuditLog(fx.store.k, fx.store.dialect);
    expect(await auditConfigChange(audit, fx.config, 'a.yaml')).toBe(true);
    expect(await auditConfigChange(audit, fx.config, 'a.yaml')).toBe(false);
    const changed = { ...fx.config, units: [] };
    expect(await auditConfigChange(audit, changed, 'a.yaml')).toBe(true);
    const rows = await audit.list({ action: 'config.change' });
    expect(rows).toHaveLength(2);
    expect(rows[0]?.detail?.['previous']).toBe(rows[1]?.detail?.['sha256']);
    expect(JSON.stringify(rows)).not.toContain('secret-panel-1');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../src/core/default-rules.js';
import type { Incident } from '../../src/core/incident-types.js';
import type { WorkflowFields } from '../../src/workflow/workflow-view.js';
import { api, nextEvent, opsClient } from '../helpers/service.js';
import { type Panel, startWorkflowRig, WORKFLOW_CITY_YAML, type WorkflowRig } from './workflow-fixture.js';

type Inc = Incident & WorkflowFields;

/** The event the verifier (src/verification/verifier.ts) ingests when the model sees a person. */
function verifierPerson(incident: string, score: number) {
  const at = new Date().toISOString();
  return {
    key: `model:cam-shop:verify-${incident}-person-${score}`,
    source: 'model' as const,
    device: 'cam-shop',
    site: 'shop-1',
    type: 'person' as const,
    ts: at,
    receivedAt: at,
    detail: { incident, score, frame: `/api/incidents/${incident}/verification/frame`, boxes: [] },
  };
}

function rigHelpers(get: () => { rig: WorkflowRig; panel: Panel; op: string }) {
  let n = 0;
  return {
    async alarm(zone: string): Promise<Inc> {
      const { rig, panel, op } = get();
      const socket = await opsClient(rig.svc.httpUrl, op);
      const seen = nextEvent<Inc>(socket, 'incident:new');
      await panel.send(`ck-${Date.now()}-${++n}`, 'intrusion', zone);
      const inc = await seen;
      socket.close();
      return inc;
    },
    /** The panel reports its line as failing (CID E350), as a panel's own communication trouble. */
    async lineCut(): Promise<void> {
      const { panel } = get();
      const payload = {
        id: `cut-${Date.now()}-${++n}`,
        type: 'trouble',
        cid: 'E350',
        ts: new Date().toISOString(),
      };
      await panel.client.publishAsync('sharpeyes/panels/panel-1/event', JSON.stringify(payload), { qos: 1 });
    },
    get: async (id: string) => (await api<Inc>(get().rig.url(`/api/incidents/${id}`), get().op)).body,
    close: (id: string) => get().rig.post(`/api/incidents/${id}/false-alarm`, get().op),
  };
}

describe('confirmation kinds: a person seen, the panel going silent (core window)', () => {
  let rig: WorkflowRig;
  let panel: Panel;
  let op: string;
  const x = rigHelpers(() => ({ rig, panel, op }));

  beforeAll(async () => {
    rig = await startWorkflowRig();
    op = await rig.svc.login('op-k', 'operator', 'city');
    panel = await rig.panel('panel-1', 'secret-panel-1');
  });
  afterAll(async () => {
    await panel?.end();
    await rig?.svc.close();
  });

  it('the model sees a person on the camera of the alarmed zone: the core confirms, the incident names video-person', async () => {
    const inc = await x.alarm('1');
    await rig.svc.svc.need('core').ingest(verifierPerson(inc.id, 0.91));
    await expect
      .poll(async () => (await x.get(inc.id)).confirmation)
      .toMatchObject({ rule: 'video-person', kind: 'video_person', by: 'system' });
    expect((await x.get(inc.id)).priority).toBe(1);
    await x.close(inc.id);
  });

  it('a person under the rule’s least score is only a second technology (the core’s own confirmation)', async () => {
    const inc = await x.alarm('1');
    await rig.svc.svc.need('core').ingest(verifierPerson(inc.id, 0.3));
    await expect
      .poll(async () => (await x.get(inc.id)).confirmation)
      .toMatchObject({ rule: 'two-technologies', kind: 'technologies' });
    await x.close(inc.id);
  });

  it('the panel reports its line failing during an open intrusion: confirmed, named line-cut', async () => {
    const inc = await x.alarm('1');
    await x.lineCut();
    await expect
      .poll(async () => (await x.get(inc.id)).confirmation)
      .toMatchObject({ rule: 'line-cut', kind: 'communication_loss', by: 'system' });
    await x.close(inc.id);
  });
});

describe('confirmation kinds: the panel going silent after the core’s window', () => {
  let rig: WorkflowRig;
  let panel: Panel;
  let op: string;
  const x = rigHelpers(() => ({ rig, panel, op }));

  beforeAll(async () => {
    // The core's sequential confirmation counts for one second only; the workflow's rule for as long
    // as the intrusion alarm is open.
    const rules = DEFAULT_RULES.map((r) => (r.action === 'confirm' ? { ...r, confirmWindowSeconds: 1 } : r));
    rig = await startWorkflowRig(`${WORKFLOW_CITY_YAML}rules: ${JSON.stringify(rules)}\n`);
    op = await rig.svc.login('op-k', 'operator', 'city');
    panel = await rig.panel('panel-1', 'secret-panel-1');
  });
  afterAll(async () => {
    await panel?.end();
    await rig?.svc.close();
  });

  it('a person the verifier reports for the incident after the window confirms it; one under the least score does not', async () => {
    const inc = await x.alarm('1');
    await new Promise((r) => setTimeout(r, 1500)); // past the core's window
    await rig.svc.svc.need('core').ingest(verifierPerson(inc.id, 0.3));
    // The sink takes events in order: once the second is named, the first was judged.
    await rig.svc.svc.need('core').ingest(verifierPerson(inc.id, 0.82));
    await expect
      .poll(async () => (await x.get(inc.id)).confirmation)
      .toMatchObject({
        rule: 'video-person',
        kind: 'video_person',
        detail: { score: 0.82, device: 'cam-shop' },
      });
    const now = await x.get(inc.id);
    expect([now.priority, now.confirmed, now.forward?.station]).toEqual([1, true, 'north']);
    await x.close(inc.id);
  });

  it('a line cut minutes into an open intrusion alarm still confirms it', async () => {
    const inc = await x.alarm('1');
    await new Promise((r) => setTimeout(r, 1500)); // past the core's window
    await x.lineCut();
    await expect
      .poll(async () => (await x.get(inc.id)).confirmation)
      .toMatchObject({ rule: 'line-cut', kind: 'communication_loss', by: 'system' });
    const now = await x.get(inc.id);
    expect([now.priority, now.confirmed]).toEqual([1, true]);
    await x.close(inc.id);
  });

  it('a line cut when the intrusion is already closed confirms nothing', async () => {
    const inc = await x.alarm('2');
    await x.close(inc.id);
    await x.lineCut();
    // A second alarm and its line cut pass through the same sink after the first cut.
    const next = await x.alarm('1');
    await new Promise((r) => setTimeout(r, 1500));
    await x.lineCut();
    await expect.poll(async () => (await x.get(next.id)).confirmation).toBeDefined();
    expect((await x.get(inc.id)).confirmation).toBeUndefined();
    await x.close(next.id);
  });
});

import type { StormCategory } from '../../config/sections/workflow.js';
import type { Decision } from '../../core/correlator.js';
import type { Directory } from '../../core/directory.js';
import type { NormalizedEvent } from '../../core/events.js';
import type { Tx } from '../../store/decision-store.js';
import type { StormStore } from './storm-store.js';

/** The storm category of a decision that would open an incident; life-safety alarms have none. */
export function categoryOf(ev: NormalizedEvent, d: Decision): StormCategory | undefined {
  if (d.action !== 'open') return undefined;
  if (ev.type === 'video_loss') return 'video_loss';
  if (d.kind === 'maintenance') return 'trouble';
  if (ev.type === 'unexpected_opening' || ev.type === 'late_to_close') return 'schedule';
  if (ev.type === 'tamper') return 'tamper';
  if (ev.type === 'intrusion' && !d.confirmed) return 'unconfirmed_intrusion';
  return undefined;
}

/**
 * Storm mode in the core's review (issue 17): during a regional power cut a supervisor demotes (to P4)
 * or holds chosen categories for a jurisdiction node, so life-safety alarms stay on top. Held events
 * are stored and decided when the storm ends.
 */
export async function stormReview(
  tx: Tx,
  dir: Directory,
  storms: StormStore,
  ev: NormalizedEvent,
  d: Decision,
): Promise<Decision | { divert: 'hold' }> {
  const category = categoryOf(ev, d);
  if (!category || d.action !== 'open') return d;
  const site = dir.site(ev.site);
  if (!site) return d;
  const storm = (await storms.inForce(tx, ev.receivedAt)).find(
    (s) => s.categories.includes(category) && dir.tree.within(site.jurisdiction, s.node),
  );
  if (!storm) return d;
  if (storm.action === 'hold') {
    await storms.hold(tx, storm.id, ev.key, category, ev.receivedAt);
    return { divert: 'hold' };
  }
  return { ...d, priority: 4, rule: `${d.rule}+storm` };
}

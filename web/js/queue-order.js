// The queue's order and tabs, as pure functions (no DOM, no state) so they are tested in Node:
// unacknowledged alarms first by priority then age (the oldest P1 on top), alarms in progress next
// (priority, then age), maintenance tickets in their own tab, closed incidents newest first.

export const OPEN_STATES = new Set(['new', 'acknowledged', 'dispatched', 'on_scene']);

/**
 * Seconds an alarm may wait for acknowledgement before the queue calls it overdue. The 110 hall's
 * own targets (a P1 answered within a minute); P4 tickets are maintenance, never overdue here —
 * the escalation policy (config `escalation`) decides who else is told.
 */
export const ACK_TARGET_SECONDS = { 1: 60, 2: 180, 3: 600 };

export const TABS = ['alarms', 'maintenance', 'closed'];

export function tabOf(inc) {
  if (!OPEN_STATES.has(inc.state)) return 'closed';
  return inc.kind === 'maintenance' ? 'maintenance' : 'alarms';
}

const opened = (inc) => Date.parse(inc.openedAt);

/** Sorts a tab's incidents in place and returns them. */
export function sortForTab(list, tab) {
  if (tab === 'closed') return list.sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt)));
  return list.sort((a, b) => {
    const na = a.state === 'new' ? 0 : 1;
    const nb = b.state === 'new' ? 0 : 1;
    return na - nb || a.priority - b.priority || opened(a) - opened(b) || a.id.localeCompare(b.id);
  });
}

/** The incidents of one tab, in queue order. */
export function queueOf(incidents, tab) {
  return sortForTab(
    [...incidents].filter((i) => tabOf(i) === tab),
    tab,
  );
}

/** Open incidents per tab, for the tab labels. */
export function tabCounts(incidents) {
  const counts = { alarms: 0, maintenance: 0, closed: 0 };
  for (const inc of incidents) counts[tabOf(inc)] += 1;
  return counts;
}

/** Seconds past the acknowledgement target of an unacknowledged alarm, or 0 when not overdue. */
export function overdueSeconds(inc, now = Date.now()) {
  const target = ACK_TARGET_SECONDS[inc.priority];
  if (inc.state !== 'new' || inc.kind === 'maintenance' || target === undefined) return 0;
  const waited = (now - opened(inc)) / 1000;
  return waited > target ? Math.floor(waited - target) : 0;
}

/**
 * Who holds an incident: its `owner` (operator ownership, issue 17) when it carries one, else the
 * user who acknowledged it; nobody while it is new.
 */
export function holderOf(inc) {
  if (inc.owner) return typeof inc.owner === 'string' ? inc.owner : (inc.owner.username ?? inc.owner.user);
  if (inc.state === 'new') return undefined;
  const ack = (inc.transitions ?? []).find((tr) => tr.to === 'acknowledged');
  return ack?.by;
}

/** The escalation steps that went up the tree (not the re-announcements to the same desk). */
export function escalationsUp(inc) {
  return (inc.escalations ?? []).filter((e) => e.kind === 'escalate');
}

// One row of the queue and the side panel's facts: fixed height, every cell two lines at most, so
// an arriving alarm never moves the regions. Escalated and overdue rows carry a stripe and a badge
// in words ("已升级至 朔城区分局", "超时 2 分") that cannot be missed from across the hall.
import { h } from './dom.js';
import { fmtAge, fmtSeconds, fmtTime, t } from './i18n.js';
import { outcomeText } from './outcome-picker.js';
import { personName, personTitle } from './people.js';
import { escalationsUp, holderOf, overdueSeconds } from './queue-order.js';
import { jurisdictionName, nameParts, siteName, siteOf } from './state.js';
import { incidentType, incidentZone, panelState, priorityBadge, stateChip } from './widgets.js';

/** "已升级至 朔城区分局 ×2" for an escalated incident, else null. */
export function escalatedBadge(inc) {
  const up = escalationsUp(inc);
  const last = up.at(-1);
  if (!last) {
    const re = (inc.escalations ?? []).length;
    return re > 0 ? h('span', { class: 'badge badge-re' }, `↻ ${t('reannounce')} ×${re}`) : null;
  }
  // A long name is in parts, so that a row too narrow for it shortens its shared start, not the
  // part that tells it apart (fitEscalations); the side panel, with room, always reads it whole.
  const { head, tail, foot } = nameParts(last.jurisdiction);
  const [before, after = ''] = t('escalatedTo', { node: '\u0000' }).split('\u0000');
  return h(
    'span',
    {
      class: 'badge badge-esc',
      title: up.map((e) => jurisdictionName(e.jurisdiction)).join(' → '),
      dataset: tail ? { parts: '' } : {},
    },
    '⇧ ',
    h('span', { class: 'esc-words' }, before),
    h('span', { class: 'esc-head' }, head),
    // Where a shortened part was: "…" only while it is (the chip's text is the name otherwise).
    tail ? h('span', { class: 'esc-gap', dataset: { gap: 'short' } }) : null,
    tail,
    foot ? h('span', { class: 'esc-foot' }, foot) : null,
    foot ? h('span', { class: 'esc-gap', dataset: { gap: 'shortest' } }) : null,
    `${after}${up.length > 1 ? ` ×${up.length}` : ''}`,
  );
}

/** How a chip too narrow for its name gives way, step by step (web/css/console.css). */
const SHORTER = ['short', 'shorter', 'shortest'];

/**
 * Shortens the escalation chips of `list`'s rows that do not fit, a step at a time, each a class:
 * their names' shared start to "…" (`short`), then the words before it (`shorter`), then the shared
 * end (`shortest`). One read of the layout a step for every such chip together; none when no chip's
 * name is in parts.
 */
export function fitEscalations(list) {
  let chips = [...list.querySelectorAll('.row .badge-esc[data-parts]')];
  const gaps = (c, step) => c.querySelectorAll(`.esc-gap${step ? `[data-gap="${step}"]` : ''}`);
  for (const c of chips) {
    c.classList.remove(...SHORTER);
    for (const g of gaps(c)) g.textContent = '';
  }
  for (const step of SHORTER) {
    chips = chips.filter((c) => c.scrollWidth > c.clientWidth + 0.5);
    for (const c of chips) {
      c.classList.add(step);
      for (const g of gaps(c, step)) g.textContent = '…';
    }
  }
}

/** "超时 2 分" when an unacknowledged alarm is past its target, else null. */
export function overdueBadge(inc, now = Date.now()) {
  const late = overdueSeconds(inc, now);
  if (late <= 0) return null;
  return h(
    'span',
    { class: 'badge badge-late', dataset: { overdue: String(late) } },
    t('overdue', { age: fmtSeconds(late) }),
  );
}

/** Who holds the incident, in a line: "北城派出所值班 处理中" (the login on hover) or "无人接警". */
export function holderLine(inc) {
  // A closed alarm is held by nobody any more: the line names who closed it ("王磊 已结案").
  const closed = inc.state === 'resolved' || inc.state === 'false_alarm';
  const closer = closed ? (inc.transitions ?? []).findLast((tr) => tr.to === inc.state)?.by : undefined;
  const who = closed ? (closer === 'system' ? undefined : closer) : holderOf(inc);
  const text = !who
    ? inc.state === 'new'
      ? t('nobodyHolds')
      : ''
    : t(closed ? `closedBy_${inc.state}` : 'heldBy', { who: personName(inc.people, who) });
  return h(
    'small',
    {
      class: `holder ${who ? '' : 'nobody'}`,
      dataset: { holder: who ?? '' },
      title: who ? personTitle(inc.people, who) : undefined,
    },
    text,
  );
}

export function queueRow(inc, { selected, onSelect, onOpen }) {
  const site = siteOf(inc.site);
  const late = overdueSeconds(inc) > 0;
  const cls = [
    'row',
    `state-${inc.state}`,
    `p${inc.priority}`,
    escalationsUp(inc).length > 0 ? 'escalated' : '',
    late ? 'overdue' : '',
    selected ? 'selected' : '',
  ];
  return h(
    'div',
    {
      class: cls.filter(Boolean).join(' '),
      role: 'option',
      'aria-selected': selected ? 'true' : 'false',
      dataset: {
        id: inc.id,
        state: inc.state,
        site: inc.site,
        kind: inc.kind,
        priority: String(inc.priority),
      },
      onclick: () => onSelect(inc.id),
      ondblclick: () => onOpen(inc.id),
    },
    h('span', { class: 'c-prio' }, priorityBadge(inc.priority)),
    h(
      'span',
      { class: 'c-time' },
      h('b', {}, fmtTime(inc.openedAt)),
      h('small', { class: 'age', dataset: { at: inc.openedAt } }, fmtAge(inc.openedAt)),
    ),
    h(
      'span',
      { class: 'c-site' },
      h('b', {}, siteName(inc.site)),
      h('small', {}, site?.address ?? jurisdictionName(inc.jurisdiction)),
    ),
    h('span', { class: 'c-type' }, h('b', {}, incidentType(inc)), h('small', {}, incidentZone(inc))),
    h(
      'span',
      { class: 'c-state' },
      h('span', { class: 'line' }, stateChip(inc.state), overdueBadge(inc), escalatedBadge(inc)),
      // A closed alarm says how it was closed (已结 tab); one closed without a code, who held it.
      inc.outcome
        ? h('small', { class: 'outcome-line', dataset: { outcome: inc.outcome } }, outcomeText(inc.outcome))
        : holderLine(inc),
    ),
    h('span', { class: 'c-panel' }, panelState(inc.site)),
  );
}

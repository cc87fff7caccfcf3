// The close dialog's list (结案: what it was; 误报: its cause), made like the dispatch dialog's unit
// list: a numbered row per code, the number keys or the arrows choose. Nothing is chosen at first, so
// an operator who presses Enter out of habit is asked to choose rather than filing a default.
import { CLOSE_OUTCOMES } from './close-outcomes.js';
import { h } from './dom.js';
import { hasString, t } from './i18n.js';

/** "设备故障" for `device_fault`; an unknown code as it is. */
export function outcomeText(code) {
  return hasString(`outcome_${code}`) ? t(`outcome_${code}`) : code;
}

/** The picker for a move to `to` (`resolved` or `false_alarm`), or undefined for any other move. */
export function outcomePicker(to) {
  const codes = CLOSE_OUTCOMES[to];
  if (!codes) return undefined;
  const title = t(to === 'resolved' ? 'pickOutcome' : 'pickCause');
  let chosen = '';
  const rows = codes.map((code, i) => ({
    code,
    el: h(
      'button',
      {
        type: 'button',
        role: 'radio',
        class: 'outcome-pick',
        'aria-checked': 'false',
        dataset: { outcome: code },
        onclick: () => choose(code),
      },
      h('kbd', {}, String(i + 1)),
      h('b', {}, t(`outcome_${code}`)),
    ),
  }));
  function choose(code) {
    chosen = code;
    for (const r of rows) {
      r.el.classList.toggle('chosen', r.code === code);
      r.el.setAttribute('aria-checked', r.code === code ? 'true' : 'false');
    }
    rows.find((r) => r.code === code)?.el.focus();
  }
  return {
    el: h(
      'div',
      {},
      h('div', { class: 'picker-title' }, title, h('span', { class: 'muted' }, ` · ${t('pickByNumber')}`)),
      h(
        'div',
        { class: 'outcome-picker', role: 'radiogroup', 'aria-label': title, dataset: { to } },
        rows.map((r) => r.el),
      ),
    ),
    focusEl: rows[0]?.el,
    value: () => (chosen ? { outcome: chosen } : {}),
    onKey(e) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        const i = rows.findIndex((r) => r.code === chosen);
        const step = e.key === 'ArrowDown' ? 1 : -1;
        const next =
          rows[i === -1 ? (step > 0 ? 0 : rows.length - 1) : (i + step + rows.length) % rows.length];
        if (next) choose(next.code);
        return true;
      }
      if (/^[1-9]$/.test(e.key)) {
        const r = rows[Number(e.key) - 1];
        if (r) choose(r.code);
        return true;
      }
      return false;
    },
  };
}

// The unit list of the dispatch dialog: the incident's own station's units first, each with what it
// is, what it is doing and how far it is (GET /api/units?incident=, ranked by the server). Arrow
// keys or the row number choose; a busy unit is shown but cannot be chosen.
import { optional } from './api.js';
import { h } from './dom.js';
import { getLang, t, tv } from './i18n.js';
import { unitKind } from './names.js';
import { jurisdictionName, siteName, state } from './state.js';

/** "850 米" / "1.2 公里". */
export function fmtDistance(m) {
  if (m === null || m === undefined) return t('distanceUnknown');
  const en = getLang() === 'en';
  if (m < 1000) return en ? `${Math.round(m / 10) * 10} m` : `${Math.round(m / 10) * 10} 米`;
  return en ? `${(m / 1000).toFixed(1)} km` : `${(m / 1000).toFixed(1)} 公里`;
}

/** What a unit is doing, in words: "待命" or "出警中 · 惠民大药房". */
export function unitStateText(u) {
  const base = tv('unit', u.status ?? 'available');
  if (!u.incident) return base;
  const inc = state.incidents.get(u.incident);
  return inc ? `${base} · ${siteName(inc.site)}` : base;
}

/** Builds the picker for `inc`; undefined when the units route gives nothing to choose from. */
export async function dispatchPicker(inc) {
  const res = await optional(`/api/units?incident=${encodeURIComponent(inc.id)}`).catch(() => undefined);
  const units = res?.units ?? state.units;
  if (!Array.isArray(units)) return undefined;
  const choosable = (u) => !u.status || u.status === 'available';
  let chosen = units.find(choosable)?.id ?? '';
  const rows = [];

  const row = (u, n) => {
    const free = choosable(u);
    const el = h(
      'button',
      {
        type: 'button',
        role: 'radio',
        class: `unit-pick ${free ? '' : 'busy'} ${u.own ? 'own' : ''}`,
        disabled: !free,
        dataset: { unit: u.id, own: String(Boolean(u.own)), status: u.status ?? 'available' },
        onclick: () => choose(u.id),
      },
      h('kbd', {}, String(n)),
      h('b', { class: 'unit-name' }, u.name),
      h('span', { class: 'unit-kind muted' }, unitKind(u.kind)),
      h('span', { class: `unit-state unit-${u.status ?? 'available'}` }, unitStateText(u)),
      h('span', { class: 'unit-distance' }, fmtDistance(u.distanceM)),
    );
    rows.push({ id: u.id, el, free });
    return el;
  };
  const none = h(
    'button',
    {
      type: 'button',
      role: 'radio',
      class: 'unit-pick none',
      dataset: { unit: '' },
      onclick: () => choose(''),
    },
    h('kbd', {}, '0'),
    h('b', { class: 'unit-name' }, t('noUnit')),
  );
  rows.push({ id: '', el: none, free: true });

  const own = units.filter((u) => u.own);
  const others = units.filter((u) => !u.own);
  const station = own[0] ? jurisdictionName(own[0].jurisdiction) : '';
  let n = 0;
  const list = h(
    'div',
    { class: 'unit-picker', role: 'radiogroup', 'aria-label': t('chooseUnit') },
    own.length > 0 ? h('div', { class: 'unit-group' }, t('ownUnits', { station })) : null,
    own.map((u) => row(u, ++n)),
    others.length > 0
      ? h('div', { class: 'unit-group' }, own.length > 0 ? t('otherUnits') : t('units'))
      : null,
    others.map((u) => row(u, ++n)),
    none,
  );

  function choose(id) {
    chosen = id;
    for (const r of rows) {
      r.el.classList.toggle('chosen', r.id === id);
      r.el.setAttribute('aria-checked', r.id === id ? 'true' : 'false');
    }
  }
  choose(chosen);

  return {
    el: h('div', {}, h('div', { class: 'picker-title' }, t('chooseUnit')), list),
    focusEl: rows.find((r) => r.id === chosen)?.el,
    value: () => ({ unit: chosen || undefined }),
    onKey(e) {
      const free = rows.filter((r) => r.free);
      const i = free.findIndex((r) => r.id === chosen);
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        const next = free[(i + (e.key === 'ArrowDown' ? 1 : -1) + free.length) % free.length];
        if (next) choose(next.id);
        return true;
      }
      if (/^[0-9]$/.test(e.key)) {
        const k = Number(e.key);
        const r = k === 0 ? rows.at(-1) : rows[k - 1];
        if (r?.free) choose(r.id);
        return true;
      }
      return false;
    },
  };
}

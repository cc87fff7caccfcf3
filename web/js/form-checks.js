// Inputs checked in the page before anything is sent, with the reason in words next to the input:
// a note box with its limit and a live counter, and time ranges (empty, invalid or reversed) that
// say so instead of searching and finding nothing.
import { h } from './dom.js';
import { fmtDateTime, t } from './i18n.js';
import { parseWall } from './zone.js';

/** Limits the server enforces (src/api/incidents-routes.ts): action notes and timeline notes. */
export const NOTE_LIMITS = { action: 2000, note: 4000 };

/**
 * A textarea with a "12 / 2000" counter that turns red past the limit. `check()` → `{ok, text,
 * message}`; `ok` is false (with a sentence) when required and empty or when too long.
 */
export function noteBox({ max, rows = 2, placeholder = t('noteOptional'), name = 'note', required = false }) {
  const textarea = h('textarea', {
    rows,
    placeholder,
    name,
    class: 'note',
    'aria-describedby': `${name}-count`,
  });
  const counter = h('small', { class: 'note-count', id: `${name}-count`, 'aria-live': 'polite' });
  const problem = h('small', { class: 'note-problem bad', role: 'alert' });
  const label = t('field_note');
  const update = () => {
    const n = [...textarea.value.trim()].length;
    counter.textContent = `${n} / ${max}`;
    counter.classList.toggle('over', n > max);
    if (n <= max) problem.textContent = '';
  };
  textarea.addEventListener('input', update);
  update();
  return {
    el: h('div', { class: 'note-box' }, textarea, h('div', { class: 'note-foot' }, problem, counter)),
    textarea,
    check() {
      const text = textarea.value.trim();
      const n = [...text].length;
      let message = '';
      if (n > max) message = t('chk_too_long', { field: label, limit: max, n });
      else if (required && n === 0) message = t('chk_empty', { field: label });
      problem.textContent = message;
      return { ok: message === '', text, message };
    },
    clear() {
      textarea.value = '';
      update();
    },
  };
}

/**
 * The time in a `datetime-local` input. Empty gives `fallback` (e.g. now) when one is given, else a
 * "please fill in" message; an unreadable value says so rather than throwing "Invalid time value".
 */
export function readTime(input, fieldKey, fallback) {
  const field = t(fieldKey);
  if (!input.value) {
    if (fallback) return { ok: true, date: fallback };
    return { ok: false, message: t('chk_time_missing', { field }) };
  }
  // The input's wall time is the city's (zone.js), whatever zone the desk PC is set to.
  const date = new Date(parseWall(input.value));
  if (!Number.isFinite(date.getTime())) return { ok: false, message: t('chk_time_invalid', { field }) };
  return { ok: true, date };
}

/**
 * A from–to range from two inputs: `{ok, from, to}` as Dates, or `{ok: false, message}` naming what
 * is wrong (a reversed range shows both times, so the operator sees which one to fix).
 */
export function checkRange(fromInput, toInput, { toDefaultsToNow = true } = {}) {
  const from = readTime(fromInput, 'field_from');
  if (!from.ok) return from;
  const to = readTime(toInput, 'field_to', toDefaultsToNow ? new Date() : undefined);
  if (!to.ok) return to;
  if (to.date.getTime() <= from.date.getTime())
    return {
      ok: false,
      message: t('chk_range_reversed', {
        from: fmtDateTime(from.date.toISOString()),
        to: fmtDateTime(to.date.toISOString()),
      }),
    };
  return { ok: true, from: from.date, to: to.date };
}

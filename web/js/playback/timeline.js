// The investigator's timeline: one lane per camera over a zoomable window of hours or days, with the
// recorded runs, the gaps (and why), the footage retention purged (before the page opened, from the
// camera's retention boundary; since, as the player finds it), alarm and motion markers, bookmarks,
// the in/out marks and the playhead. Drag or click to seek; the wheel zooms around the pointer.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { clockText, offsetAt, wallParts } from '../zone.js';
import { purgedStretches } from './kept-footage.js';

const MIN_SPAN = 60_000;
const MAX_SPAN = 31 * 86_400_000;
const STEPS = [
  1000,
  5000,
  15_000,
  30_000,
  60_000,
  300_000,
  900_000,
  1_800_000,
  3_600_000,
  3 * 3_600_000,
  6 * 3_600_000,
  12 * 3_600_000,
  86_400_000,
];

const pad = (n) => String(n).padStart(2, '0');
/** A tick label on the city's clock: `HH:MM`, `HH:MM:SS` below a minute, `MM-DD` on a day. */
function tickLabel(ms, step) {
  const d = wallParts(ms);
  if (step >= 86_400_000) return `${pad(d.month)}-${pad(d.day)}`;
  const hm = `${pad(d.hour)}:${pad(d.minute)}`;
  if (step < 60_000) return `${hm}:${pad(d.second)}`;
  return d.hour === 0 && d.minute === 0 ? `${pad(d.month)}-${pad(d.day)}` : hm;
}

export class Timeline {
  /**
   * @param {{lanes: {camera: string, label: string}[], view: {from: number, to: number},
   *   bounds: {from: number, to: number}, onSeek: (ms: number, final: boolean) => void,
   *   onView?: (view: {from: number, to: number}) => void}} o
   */
  constructor(o) {
    this.o = o;
    this.view = { ...o.view };
    this.data = new Map();
    this.gone = new Map(); // camera -> [{start, end, code}]: footage the player found gone since
    this.playhead = undefined;
    this.marks = { in: undefined, out: undefined };
    this.axis = h('div', { class: 'tl-axis' });
    this.lanesEl = h('div', { class: 'tl-lanes' });
    this.sel = h('div', { class: 'tl-sel', hidden: true });
    this.head = h('div', { class: 'tl-head', hidden: true });
    this.el = h(
      'div',
      { class: 'tl', id: 'timeline', tabindex: '0', 'aria-label': t('pbTimeline') },
      h('div', { class: 'tl-inner' }, this.axis, this.lanesEl, this.sel, this.head),
    );
    this.el.addEventListener('pointerdown', (e) => this.pointer(e));
    this.el.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
  }

  msAt(clientX) {
    const r = this.lanesEl.getBoundingClientRect();
    const f = Math.max(0, Math.min(1, (clientX - r.left) / Math.max(1, r.width)));
    return this.view.from + f * (this.view.to - this.view.from);
  }

  pct(ms) {
    return ((ms - this.view.from) / (this.view.to - this.view.from)) * 100;
  }

  pointer(e) {
    if (e.button !== 0) return;
    e.preventDefault();
    this.el.setPointerCapture(e.pointerId);
    let last = 0;
    const move = (ev) => {
      const ms = this.msAt(ev.clientX);
      this.setPlayhead(ms);
      // While dragging, a seek at most every 150 ms; the one at release is the one that counts.
      if (performance.now() - last > 150) {
        last = performance.now();
        this.o.onSeek(ms, false);
      }
    };
    const up = (ev) => {
      this.el.removeEventListener('pointermove', move);
      this.el.removeEventListener('pointerup', up);
      this.o.onSeek(this.msAt(ev.clientX), true);
    };
    this.el.addEventListener('pointermove', move);
    this.el.addEventListener('pointerup', up);
    this.setPlayhead(this.msAt(e.clientX));
  }

  wheel(e) {
    e.preventDefault();
    const at = this.msAt(e.clientX);
    this.zoom(e.deltaY > 0 ? 1.25 : 0.8, at);
  }

  /** Zooms by `factor` around `at`, kept inside the searched range. */
  zoom(factor, at = this.playhead ?? (this.view.from + this.view.to) / 2) {
    const span = Math.max(MIN_SPAN, Math.min(MAX_SPAN, (this.view.to - this.view.from) * factor));
    const b = this.o.bounds;
    const f = (at - this.view.from) / (this.view.to - this.view.from);
    let from = at - f * span;
    from = Math.max(b.from, Math.min(from, b.to - span));
    this.setView({ from, to: Math.min(b.to, from + span) });
  }

  /** Shows `span` ms around the playhead (the zoom buttons). */
  span(span) {
    const b = this.o.bounds;
    const at = this.playhead ?? b.from;
    const s = Math.min(span, b.to - b.from);
    const from = Math.max(b.from, Math.min(at - s / 2, b.to - s));
    this.setView({ from, to: from + s });
  }

  setView(view) {
    this.view = view;
    this.o.onView?.(view);
    this.render();
  }

  setData(camera, data) {
    this.data.set(camera, data);
    this.render();
  }

  /**
   * Marks `[start, end)` of `camera` as footage the player found gone (purged by retention, or a file
   * lost): drawn over the run the timeline was read with, adjacent ones merged.
   */
  markGone(camera, { start, end, code }) {
    const list = this.gone.get(camera) ?? [];
    const last = list.find((g) => g.code === code && Math.abs(g.end - start) <= 250);
    if (last) last.end = Math.max(last.end, end);
    else list.push({ start, end, code });
    this.gone.set(camera, list);
    this.render();
  }

  setMarks(marks) {
    this.marks = marks;
    this.renderMarks();
  }

  setPlayhead(ms) {
    this.playhead = ms;
    // Follow the playhead: a window that it leaves moves with it.
    const span = this.view.to - this.view.from;
    if (ms < this.view.from || ms > this.view.to) {
      const b = this.o.bounds;
      const from = Math.max(b.from, Math.min(ms - span * 0.1, b.to - span));
      this.setView({ from, to: from + span });
      return;
    }
    const p = this.pct(ms);
    this.head.hidden = false;
    this.head.style.left = `${p}%`;
    this.head.dataset.ms = String(Math.round(ms));
  }

  /** Where a bar of `[a, b)` sits, clipped to the window; undefined when outside. */
  bar(a, b) {
    const from = Math.max(a, this.view.from);
    const to = Math.min(b, this.view.to);
    if (to <= from) return undefined;
    return `left:${this.pct(from).toFixed(4)}%;width:${Math.max(0.15, this.pct(to) - this.pct(from)).toFixed(4)}%`;
  }

  renderAxis() {
    const span = this.view.to - this.view.from;
    const step = STEPS.find((s) => span / s <= 10) ?? STEPS[STEPS.length - 1];
    // Ticks on the city's clock's boundaries (a day starts at the city's midnight).
    const offset = offsetAt(this.view.from);
    const first = Math.ceil((this.view.from + offset) / step) * step - offset;
    const ticks = [];
    for (let ms = first; ms <= this.view.to; ms += step)
      ticks.push(h('span', { class: 'tl-tick', style: `left:${this.pct(ms)}%` }, tickLabel(ms, step)));
    this.axis.replaceChildren(...ticks);
  }

  renderMarks() {
    const { in: a, out: b } = this.marks;
    const style = a !== undefined && b !== undefined ? this.bar(Math.min(a, b), Math.max(a, b)) : undefined;
    this.sel.hidden = !style;
    // Through the CSSOM: the console's CSP (style-src 'self') refuses a `style` attribute set as markup.
    if (style) this.sel.style.cssText = style;
  }

  render() {
    this.renderAxis();
    const lanes = this.o.lanes.map((lane) => {
      const d = this.data.get(lane.camera) ?? {};
      const kids = [h('span', { class: 'tl-label' }, lane.label)];
      for (const r of d.runs ?? []) {
        const style = this.bar(Date.parse(r.start), Date.parse(r.end));
        if (style) kids.push(h('div', { class: 'tl-run', style }));
      }
      for (const g of d.gaps ?? []) {
        const style = this.bar(Date.parse(g.start), Date.parse(g.end));
        if (style) kids.push(h('div', { class: 'tl-gap', style, title: gapTitle(g) }));
      }
      // Recorded, and purged by retention before this answer: drawn like footage found gone since,
      // never as a stretch the camera did not record.
      const oldest = d.retention?.oldestKept ? Date.parse(d.retention.oldestKept) : undefined;
      for (const p of purgedStretches(d, this.view.from, this.view.to)) {
        const style = this.bar(p.start, p.end);
        if (style)
          kids.push(
            h('div', {
              class: 'tl-purged',
              style,
              title: `${clockText(p.start)}–${clockText(p.end)} ${t('pbGonePurged')}${oldest !== undefined ? ` · ${t('pbOldestKept')} ${clockText(oldest)}` : ''}`,
            }),
          );
      }
      for (const g of this.gone.get(lane.camera) ?? []) {
        const style = this.bar(g.start, g.end);
        const why = g.code === 'no_file' ? t('pbGoneFile') : t('pbGonePurged');
        if (style)
          kids.push(
            h('div', {
              class: 'tl-gone',
              style,
              title: `${clockText(g.start)}–${clockText(g.end)} ${why}`,
              dataset: { code: g.code },
            }),
          );
      }
      for (const m of d.markers ?? []) {
        const at = Date.parse(m.at);
        if (at < this.view.from || at > this.view.to) continue;
        kids.push(
          h('div', {
            class: `tl-marker tl-${m.kind}`,
            style: `left:${this.pct(at)}%`,
            title: `${clockText(at)} ${t(`type_${m.type}`)}`,
            dataset: { kind: m.kind },
          }),
        );
      }
      for (const b of d.bookmarks ?? []) {
        const at = Date.parse(b.at);
        if (at < this.view.from || at > this.view.to) continue;
        kids.push(h('div', { class: 'tl-bookmark', style: `left:${this.pct(at)}%`, title: b.note }));
      }
      return h('div', { class: 'tl-lane', dataset: { camera: lane.camera } }, kids);
    });
    this.lanesEl.replaceChildren(...lanes);
    this.renderMarks();
    if (this.playhead !== undefined) this.setPlayhead(this.playhead);
  }
}

/** The recorder's reason for a gap, as a duty officer reads it. */
export function gapTitle(g) {
  const secs = Math.round((Date.parse(g.end) - Date.parse(g.start)) / 1000);
  return `${t('pbGap')} ${secs} ${t('pbSeconds')}: ${gapReason(g.reason)}`;
}

export function gapReason(reason = '') {
  if (reason.startsWith('stream lost')) return t('pbReasonLost');
  if (reason.startsWith('stream ended')) return t('pbReasonEnded');
  if (reason.startsWith('not recording')) return t('pbReasonOff');
  if (reason.startsWith('write failed') || reason.includes('disk')) return t('pbReasonDisk');
  if (reason.includes('frames missing')) return t('pbReasonFrames');
  if (reason.includes('upstream restarted')) return t('pbReasonRestart');
  if (reason) return t('pbReasonOther');
  return t('pbReasonOff');
}

// The player card of the investigation page: up to four camera tiles on one clock, the wall-clock
// readout, the transport (play, pause, frame and keyframe steps, 1/2/4/8x, reverse, go to a typed
// time), in/out marks, bookmarks and the timeline.

import { api } from '../api.js';
import { h, svg, toast } from '../dom.js';
import { t } from '../i18n.js';
import { parseWall, wallIso } from '../zone.js';
import { KeptFootage } from './kept-footage.js';
import { PlaybackGroup } from './playback-group.js';
import { gapReason, Timeline } from './timeline.js';

const RATES = [1, 2, 4, 8];

/** Transport icons (24x24 paths): not every console font has the media symbols. */
const ICONS = {
  play: 'M7 4l13 8-13 8z',
  pause: 'M6 4h4v16H6zM14 4h4v16h-4z',
  frameBack: 'M6 4h2v16H6zM20 4L9 12l11 8z',
  frameFwd: 'M16 4h2v16h-2zM4 4l11 8-11 8z',
  keyBack: 'M4 4h2v16H4zM13 4L6 12l7 8zM21 4l-7 8 7 8z',
  keyFwd: 'M18 4h2v16h-2zM11 4l7 8-7 8zM3 4l7 8-7 8z',
  reverse: 'M12 4L2 12l10 8zM22 4l-10 8 10 8z',
};
const glyph = (name) =>
  svg('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true' }, svg('path', { d: ICONS[name] }));

/** `2026-12-02 11:04:05.267` on the city's clock: the investigator's wall clock. */
export function wallText(ms) {
  return wallIso(ms).replace('T', ' ');
}

/** A `datetime-local` value (to the second) on the city's clock. */
const localInput = (ms) => wallIso(ms).slice(0, 19);

/**
 * @param {{cameras: {id: string, label: string}[], range: {from: number, to: number}, start: number,
 *   incident?: string, onMarks?: (m: {in?: number, out?: number}) => void,
 *   onBookmark?: () => void}} o
 */
export function playerView(o) {
  const tiles = o.cameras.map((c) => {
    const video = h('video', {
      muted: true,
      playsInline: true,
      class: 'pb-video',
      dataset: { camera: c.id },
    });
    const note = h('div', { class: 'pb-note', hidden: true });
    const el = h(
      'div',
      { class: 'pb-tile', dataset: { camera: c.id } },
      video,
      h('span', { class: 'pb-name' }, c.label),
      note,
    );
    return { camera: c.id, video, note, el, asked: 0 };
  });
  const clock = h('output', { class: 'pb-clock', id: 'pb-clock' }, wallText(o.start));
  const status = h('span', { class: 'pb-status muted', id: 'pb-status' });
  // Said apart from the status line (which each seek clears): it lasts as long as the refusal.
  const holdNote = h('span', { class: 'pb-status pb-hold-note', id: 'pb-hold', hidden: true });
  const marks = { in: undefined, out: undefined };
  const markText = h('span', { class: 'pb-marks muted', id: 'pb-marks' });

  const timeline = new Timeline({
    lanes: o.cameras.map((c) => ({ camera: c.id, label: c.label })),
    bounds: o.range,
    view: spanAround(o.start, 3_600_000, o.range),
    onSeek: (ms, final) => {
      clock.textContent = wallText(ms);
      if (final) void seek(ms);
      else void group.seek(ms);
    },
  });

  // What each camera keeps now: the timeline's lanes, and where footage resumes after a hole.
  const kept = new KeptFootage({
    range: o.range,
    onData: (camera, data) => {
      timeline.setData(camera, data);
      group.players.find((p) => p.camera === camera)?.forgetPurged(data);
    },
  });

  /**
   * Names where a camera's footage resumes after the hole at `at`, asked of the server at that moment:
   * the index the page read may list footage retention has purged since, which is never named. A
   * tile that moved on meanwhile keeps its own words.
   */
  async function nameResume(tile, at) {
    const asked = tile.asked;
    const player = group.players.find((p) => p.camera === tile.camera);
    try {
      await kept.load(tile.camera);
    } catch (err) {
      // Tolerated: the tile says what the hole is, without naming a time it could not check.
      console.warn('playback: where footage resumes is unknown', err);
      return;
    }
    if (tile.asked !== asked) return;
    const next = kept.nextKept(tile.camera, at, (ms) => player?.goneEnd(ms));
    tile.note.dataset.next = next === undefined ? 'none' : String(next);
    tile.note.textContent += ` · ${next === undefined ? t('pbNoLaterRecording') : `${t('pbResumesAt')} ${wallText(next).slice(11, 19)}`}`;
  }

  const group = new PlaybackGroup({
    range: o.range,
    cameras: tiles.map((x) => ({ camera: x.camera, video: x.video })),
    onTick: (ms) => {
      clock.textContent = wallText(ms);
      clock.dataset.ms = String(Math.round(ms));
      timeline.setPlayhead(ms);
    },
    onCamera: (camera, state, detail) => {
      const tile = tiles.find((x) => x.camera === camera);
      if (!tile) return;
      tile.el.dataset.state = state;
      tile.note.hidden = state === 'ready';
      tile.asked++;
      delete tile.note.dataset.next;
      // A hole is said at once; where footage resumes follows once the server has said (nameResume).
      tile.note.textContent =
        state === 'gone'
          ? t(detail?.code === 'no_file' ? 'pbGoneFile' : 'pbGonePurged')
          : state === 'gap'
            ? `${t('pbNoRecording')}${detail?.reason ? ` · ${gapReason(detail.reason)}` : ''}`
            : state === 'loading'
              ? t('pbLoading')
              : state === 'error'
                ? `${t('pbCannotPlay')}${detail?.code === 'codec' ? ` (${t('pbCodec')})` : ''}`
                : '';
      if ((state === 'gap' || state === 'gone') && detail?.at !== undefined) void nameResume(tile, detail.at);
    },
    onJump: ({ from, to, gone }) => {
      status.textContent = `${t(gone ? 'pbSkippedGone' : 'pbSkippedGap')} ${wallText(from).slice(11, 19)} → ${wallText(to).slice(11, 19)}`;
    },
    onGone: (camera, seg, code) => timeline.markGone(camera, { start: seg.start, end: seg.end, code }),
    onHold: (state) => {
      holdNote.hidden = state !== 'limit';
      holdNote.textContent = state === 'limit' ? t('pbHoldLimit') : '';
    },
    onEnd: () => {
      status.textContent = t('pbEnd');
      showPlaying(false);
    },
    nextRecorded: (ms) => {
      let best;
      for (const c of o.cameras)
        for (const r of timeline.data.get(c.id)?.runs ?? []) {
          const a = Date.parse(r.start);
          const b = Date.parse(r.end);
          if (b > ms && (best === undefined || Math.max(a, ms) < best)) best = Math.max(a, ms + 1);
        }
      return best;
    },
  });

  async function seek(ms) {
    status.textContent = '';
    // The go-to box names where the player went, whether by the box, the timeline or a bookmark.
    goto.value = localInput(ms);
    const t0 = performance.now();
    const shown = await group.seek(ms);
    if (!shown.some(Boolean)) {
      // Footage purged is not footage never recorded, here as on the tiles.
      const gone = group.players.filter((p) => p.state === 'gone').length;
      status.textContent = t(
        gone === 0
          ? 'pbNoRecordingAll'
          : gone === group.players.length
            ? 'pbGoneAll'
            : 'pbNothingPlayableAll',
      );
    }
    return performance.now() - t0;
  }

  const playBtn = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      id: 'pb-play',
      title: `${t('play')} (Space)`,
      dataset: { playing: 'false' },
    },
    glyph('play'),
  );
  const showPlaying = (on) => {
    playBtn.dataset.playing = String(on);
    playBtn.replaceChildren(glyph(on ? 'pause' : 'play'));
  };
  const togglePlay = () => {
    if (group.playing) {
      group.pause();
      showPlaying(false);
    } else {
      group.play();
      showPlaying(true);
    }
  };
  playBtn.addEventListener('click', togglePlay);
  const rateSel = h(
    'select',
    { id: 'pb-rate', title: t('pbRate'), onchange: (e) => group.setRate(Number(e.currentTarget.value)) },
    RATES.map((r) => h('option', { value: String(r) }, `${r}×`)),
  );
  const btn = (id, label, title, fn) => h('button', { type: 'button', id, title, onclick: fn }, label);
  const noteInput = h('input', {
    id: 'pb-note',
    class: 'pb-note-input',
    placeholder: t('pbBookmarkNote'),
    maxLength: 1000,
  });
  const goto = h('input', { type: 'datetime-local', step: '1', id: 'pb-goto', value: localInput(o.start) });
  const setMark = (which) => {
    marks[which] = group.position;
    timeline.setMarks(marks);
    markText.textContent =
      marks.in !== undefined || marks.out !== undefined
        ? `${t('pbIn')} ${marks.in !== undefined ? wallText(marks.in).slice(11, 19) : '—'} · ${t('pbOut')} ${marks.out !== undefined ? wallText(marks.out).slice(11, 19) : '—'}`
        : '';
    o.onMarks?.({ ...marks });
  };

  const transport = h(
    'div',
    { class: 'pb-transport' },
    btn('pb-kf-back', glyph('keyBack'), `${t('pbPrevKeyframe')} (Shift+←)`, () => {
      showPlaying(false);
      void group.stepKeyframe(-1);
    }),
    btn('pb-frame-back', glyph('frameBack'), `${t('pbPrevFrame')} (←)`, () => {
      showPlaying(false);
      void group.stepFrame(-1);
    }),
    playBtn,
    btn('pb-frame-fwd', glyph('frameFwd'), `${t('pbNextFrame')} (→)`, () => {
      showPlaying(false);
      void group.stepFrame(1);
    }),
    btn('pb-kf-fwd', glyph('keyFwd'), `${t('pbNextKeyframe')} (Shift+→)`, () => {
      showPlaying(false);
      void group.stepKeyframe(1);
    }),
    btn('pb-reverse', glyph('reverse'), t('pbReverse'), () => {
      group.playReverse();
      showPlaying(true);
    }),
    rateSel,
    h('span', { class: 'pb-sep' }),
    goto,
    btn('pb-goto-btn', t('pbGoto'), t('pbGoto'), () => {
      const ms = parseWall(goto.value);
      if (Number.isFinite(ms)) void seek(ms);
      else toast(t('pbBadTime'), 'error');
    }),
    h('span', { class: 'pb-sep' }),
    btn('pb-in', t('pbIn'), `${t('pbMarkIn')} (I)`, () => setMark('in')),
    btn('pb-out', t('pbOut'), `${t('pbMarkOut')} (O)`, () => setMark('out')),
    noteInput,
    btn('pb-bookmark', `★ ${t('pbBookmark')}`, `${t('pbBookmark')} (B)`, () => void addBookmark()),
  );

  const zoom = h(
    'div',
    { class: 'pb-zoom' },
    [
      ['pbZoom1h', 3_600_000],
      ['pbZoom6h', 6 * 3_600_000],
      ['pbZoom1d', 86_400_000],
      ['pbZoom7d', 7 * 86_400_000],
    ].map(([k, span]) =>
      h(
        'button',
        { type: 'button', class: 'ghost', dataset: { span }, onclick: () => timeline.span(span) },
        t(k),
      ),
    ),
    h(
      'span',
      { class: 'pb-legend muted' },
      h('i', { class: 'lg-run' }),
      t('pbLegendRecorded'),
      h('i', { class: 'lg-gap' }),
      t('pbLegendGap'),
      h('i', { class: 'lg-gone' }),
      t('pbLegendGone'),
      h('i', { class: 'lg-alarm' }),
      t('pbLegendAlarm'),
      h('i', { class: 'lg-motion' }),
      t('pbLegendMotion'),
      h('i', { class: 'lg-bookmark' }),
      t('pbLegendBookmark'),
    ),
  );

  async function loadTimeline() {
    await Promise.all(
      o.cameras.map(async (c) => {
        try {
          await kept.load(c.id);
        } catch (err) {
          toast(`${c.label}: ${errorText(err)}`, 'error');
        }
      }),
    );
  }

  async function addBookmark() {
    const note = noteInput.value;
    if (!note.trim()) {
      noteInput.focus();
      toast(t('pbBookmarkNeedsNote'), 'error');
      return;
    }
    const a =
      marks.in !== undefined && marks.out !== undefined ? Math.min(marks.in, marks.out) : group.position;
    const b = marks.in !== undefined && marks.out !== undefined ? Math.max(marks.in, marks.out) : undefined;
    try {
      await api('/api/bookmarks', {
        method: 'POST',
        body: {
          camera: o.cameras[0].id,
          at: new Date(a).toISOString(),
          ...(b !== undefined ? { to: new Date(b).toISOString() } : {}),
          note: note.trim(),
          ...(o.incident ? { incident: o.incident } : {}),
        },
      });
      noteInput.value = '';
      toast(t('pbBookmarked'));
      await loadTimeline();
      o.onBookmark?.();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  const keys = (e) => {
    if (e.target.closest('input, select, textarea')) return;
    const k = e.key;
    if (k === ' ') togglePlay();
    else if (k === 'ArrowLeft' || k === 'ArrowRight') {
      const dir = k === 'ArrowLeft' ? -1 : 1;
      showPlaying(false);
      void (e.shiftKey ? group.stepKeyframe(dir) : group.stepFrame(dir));
    } else if (k === 'i' || k === 'I') setMark('in');
    else if (k === 'o' || k === 'O') setMark('out');
    else if (k === 'b' || k === 'B') void addBookmark();
    else return;
    e.preventDefault();
  };
  document.addEventListener('keydown', keys);

  const el = h(
    'section',
    { class: 'card pb-card', id: 'player' },
    h('div', { class: 'pb-head' }, clock, status, holdNote),
    h(
      'div',
      // data-origin: the wall clock of media time 0 of every tile (tests read positions from it).
      { class: `pb-grid n${tiles.length}`, dataset: { origin: String(o.range.from) } },
      tiles.map((x) => x.el),
    ),
    transport,
    zoom,
    timeline.el,
    markText,
  );
  // Held first, read second: the footage of the window is kept from retention before the player
  // reads its index (a hold refused or failed still plays; the hold says so and tries again).
  group.rebase(o.start);
  void Promise.all([group.hold.start(), loadTimeline()]).then(() => seek(o.start));
  return {
    el,
    group,
    timeline,
    seek,
    marks: () => ({ ...marks }),
    reload: loadTimeline,
    close() {
      document.removeEventListener('keydown', keys);
      group.close();
    },
  };
}

function spanAround(at, span, range) {
  const s = Math.min(span, range.to - range.from);
  const from = Math.max(range.from, Math.min(at - s / 2, range.to - s));
  return { from, to: from + s };
}

/** An API error as a duty officer reads it: by its code, in the console's language. */
export function errorText(err) {
  const code = err?.code;
  const known = code && t(`pbErr_${code}`);
  return known && known !== `pbErr_${code}` ? known : (err?.message ?? String(err));
}

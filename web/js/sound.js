// The queue's ring: a WebAudio beep pattern repeated while any alarm is unacknowledged. The
// operator may mute it for the current shift (shift.js, on the city's clock); the choice is
// remembered in the browser and lapses by itself when the next shift starts.
import { currentShift } from './shift.js';

const KEY = 'sharpeyes.mutedShift';
let ctx;
let timer;
let ringing = false;
let rings = 0;
const listeners = new Set();

export function isMuted() {
  return localStorage.getItem(KEY) === currentShift();
}

export function setMuted(muted) {
  if (muted) localStorage.setItem(KEY, currentShift());
  else localStorage.removeItem(KEY);
  notify();
}

export function onSoundChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function notify() {
  for (const fn of listeners) fn({ ringing, muted: isMuted(), rings });
}

/** Call from a user gesture (login click) so the browser lets the context play later. */
export function unlockAudio() {
  try {
    ctx ??= new AudioContext();
    if (ctx.state === 'suspended') void ctx.resume();
  } catch {
    // No WebAudio (very old browser): the flashing rows still show the alarm.
  }
}

/** P1: three high beeps; P2: two; P3/P4: one lower beep. */
function pattern(priority) {
  if (priority <= 1) return { count: 3, freq: 1320 };
  if (priority === 2) return { count: 2, freq: 1050 };
  return { count: 1, freq: 800 };
}

/**
 * Plays `count` tones `every` seconds apart: each rises to `peak` in `attack` s and fades out by
 * `length` s. Unless the shift is muted; audio blocked until a gesture plays nothing (the page's
 * own signs still show).
 */
function tones({ freqs, type, every, peak, attack, length }) {
  if (isMuted()) return;
  try {
    ctx ??= new AudioContext();
    const t0 = ctx.currentTime + 0.02;
    for (const [i, freq] of freqs.entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = type;
      osc.frequency.value = freq;
      const start = t0 + i * every;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(peak, start + attack);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + length + 0.01);
    }
  } catch {
    // No WebAudio, or blocked: the ring and chime counters and the page still show it.
  }
}

function beep(priority) {
  rings += 1;
  document.body.dataset.rings = String(rings);
  const { count, freq } = pattern(priority);
  tones({
    freqs: Array(count).fill(freq),
    type: 'square',
    every: 0.22,
    peak: 0.25,
    attack: 0.01,
    length: 0.15,
  });
}

/**
 * Rings now and every 4 s while `highest()` returns a priority (the most urgent unacknowledged
 * alarm), and stops when it returns undefined.
 */
export function updateRing(highest) {
  const p = highest();
  if (p === undefined) {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (ringing) {
      ringing = false;
      notify();
    }
    return;
  }
  if (!ringing) {
    ringing = true;
    beep(p);
    timer = setInterval(() => {
      const now = highest();
      if (now === undefined) updateRing(highest);
      else beep(now);
    }, 4000);
    notify();
  }
}

/** A fresh alarm rings at once even while the repeat timer is already running. */
export function ringNow(priority) {
  beep(priority);
  notify();
}

let chimes = 0;

/**
 * The receiver's own trouble turned red (web/js/system-alert.js): once, a falling two-tone unlike
 * any alarm's beeps, so an operator hears that it is the system and not a site. Muted with the ring.
 */
export function chime() {
  chimes += 1;
  document.body.dataset.chimes = String(chimes);
  tones({ freqs: [660, 440], type: 'sine', every: 0.35, peak: 0.3, attack: 0.02, length: 0.3 });
}

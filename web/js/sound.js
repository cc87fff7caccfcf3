// The queue's ring: a WebAudio beep pattern repeated while any alarm is unacknowledged. The
// operator may mute it for the current shift (day 08–20, night 20–08); the choice is remembered
// in the browser and lapses by itself when the next shift starts.
const KEY = 'sharpeyes.mutedShift';
let ctx;
let timer;
let ringing = false;
let rings = 0;
const listeners = new Set();

export function currentShift(now = new Date()) {
  const d = new Date(now);
  const hour = d.getHours();
  if (hour < 8) d.setDate(d.getDate() - 1);
  const day = `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
  return `${day}-${hour >= 8 && hour < 20 ? 'day' : 'night'}`;
}

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

function beep(priority) {
  rings += 1;
  document.body.dataset.rings = String(rings);
  if (isMuted()) return;
  try {
    ctx ??= new AudioContext();
    const { count, freq } = pattern(priority);
    const t0 = ctx.currentTime + 0.02;
    for (let i = 0; i < count; i++) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = freq;
      const start = t0 + i * 0.22;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.15);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.16);
    }
  } catch {
    // Audio may be blocked until a gesture; the visual ring indicator still counts.
  }
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
  if (isMuted()) return;
  try {
    ctx ??= new AudioContext();
    const t0 = ctx.currentTime + 0.02;
    for (const [i, freq] of [660, 440].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      const start = t0 + i * 0.35;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.3, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.3);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.32);
    }
  } catch {
    // Audio may be blocked until a gesture; the badge and the toast still show it.
  }
}

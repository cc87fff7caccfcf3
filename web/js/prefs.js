// Per-user console preferences kept on the server (GET/PUT /api/console/prefs), so language, the
// shift's mute, the queue tab and the map colouring follow an operator from desk to desk. The
// browser's localStorage stays the working copy; this module syncs it at login and on each change.
import { api, optional } from './api.js';

const KEYS = {
  lang: 'sharpeyes.lang',
  mutedShift: 'sharpeyes.mutedShift',
  queueFilter: 'sharpeyes.queueFilter',
  mapColour: 'sharpeyes.mapColour',
  mapLayers: 'sharpeyes.mapLayers',
};

/** Copies the user's saved preferences into localStorage; returns them (empty when none or no route). */
export async function pullPrefs() {
  const res = await optional('/api/console/prefs').catch(() => undefined);
  const prefs = res?.prefs ?? {};
  // A mute is this user's: one left in the browser by the previous user of the desk does not apply.
  if (res && typeof prefs.mutedShift !== 'string') localStorage.removeItem(KEYS.mutedShift);
  for (const [key, storageKey] of Object.entries(KEYS)) {
    if (typeof prefs[key] === 'string') localStorage.setItem(storageKey, prefs[key]);
  }
  return prefs;
}

/** Saves one preference (`null` clears it); failures are ignored: the local copy still works. */
export function pushPref(key, value) {
  void api('/api/console/prefs', { method: 'PUT', body: { [key]: value ?? null } }).catch(() => undefined);
}

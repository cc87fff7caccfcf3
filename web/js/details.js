// Event details the incident list leaves out (the trouble reason, the Contact ID code), fetched in
// batches from POST /api/console/event-details and kept: a stored event never changes.
import { api } from './api.js';
import { emit } from './state.js';

/** Types whose words depend on the details: a trouble or a restore says what. */
const EXPLAINED = new Set(['trouble', 'restore']);
const known = new Map();
const wanted = new Set();
let timer;

export function detailOf(key) {
  return known.get(key);
}

/** Asks for the details of the incidents' events that need them (batched, once per key). */
export function wantDetails(incidents) {
  for (const inc of incidents)
    for (const ev of inc.events ?? []) if (EXPLAINED.has(ev.type) && !known.has(ev.key)) wanted.add(ev.key);
  if (wanted.size === 0 || timer) return;
  timer = setTimeout(fetchWanted, 50);
}

async function fetchWanted() {
  timer = undefined;
  const keys = [...wanted].slice(0, 500);
  for (const k of keys) wanted.delete(k);
  try {
    const res = await api('/api/console/event-details', { method: 'POST', body: { keys } });
    for (const ev of res?.events ?? []) known.set(ev.key, ev);
    // A key the server did not return is out of scope or gone: remember that, do not ask again.
    for (const k of keys) if (!known.has(k)) known.set(k, null);
    emit('details');
  } catch (err) {
    // Without details the rows read "故障" as before; the next list change asks again.
    console.warn('console: event details failed', err);
    return;
  }
  if (wanted.size > 0) timer = setTimeout(fetchWanted, 50);
}

export function resetDetails() {
  known.clear();
  wanted.clear();
}

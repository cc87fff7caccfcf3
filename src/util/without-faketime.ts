/**
 * The environment for a child program that must run on the real clock: libfaketime's preload and its
 * `FAKETIME*` settings removed, any other preloaded library kept. `npm run test:at` runs the suite
 * (and so the service) under libfaketime; Chromium hangs at start and redis-server deadlocks when
 * they inherit it. Outside test:at nothing is removed.
 */
export function withoutFaketime(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env))
    if (value !== undefined && !key.startsWith('FAKETIME')) out[key] = value;
  const kept = (out['LD_PRELOAD'] ?? '')
    .split(/[:\s]+/)
    .filter((lib) => lib && !lib.includes('faketime'))
    .join(':');
  if (kept) out['LD_PRELOAD'] = kept;
  else delete out['LD_PRELOAD'];
  return out;
}

/** Whether this process runs under libfaketime (its wall clock is moved). */
export function underFaketime(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env['LD_PRELOAD'] ?? '').includes('faketime');
}

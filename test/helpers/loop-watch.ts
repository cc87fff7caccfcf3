/**
 * Watches the event loop's turns while some work runs: for each stretch between two turns in which
 * `progress()` moved, how far it moved. A list built in one stretch holds the thread for all of it;
 * one built a slice at a time shows one stretch a slice. Counts, not times: the same on a busy machine.
 */
export function loopWatch(progress: () => number): { stop(): number[] } {
  const stretches: number[] = [];
  let seen = progress();
  let on = true;
  const tick = () => {
    const now = progress();
    if (now > seen) stretches.push(now - seen);
    seen = now;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      on = false;
      tick();
      return stretches;
    },
  };
}

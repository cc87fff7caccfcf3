/**
 * Resolves on the next turn of the event loop, after the I/O that is ready now has been read: long
 * work on the alarm thread (a sink's slices, the reports backfill, a retention pass) awaits it
 * between pieces, so that a panel's message that arrived meanwhile is not held up behind the rest.
 * `setImmediate` is looked up at each call: a test that fakes timers fakes this too.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

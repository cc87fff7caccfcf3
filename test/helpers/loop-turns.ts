/**
 * How many turns the event loop took while `work` ran: a callback re-queued with `setImmediate`
 * counts each one. Work that holds the thread from start to end (synchronous SQLite under a chain of
 * promises) counts none.
 */
export async function turnsDuring(work: () => unknown): Promise<number> {
  let turns = 0;
  let counting = true;
  const count = () => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  try {
    await work();
  } finally {
    counting = false;
  }
  return turns;
}

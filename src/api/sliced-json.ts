import type { Response } from 'express';
import { nextTurn } from '../util/next-turn.js';

/** Items built and encoded between two turns of the event loop. */
const SLICE = 200;

/**
 * Sends `{...head, [key]: items.map(view)}` as `res.json` would, building and encoding `SLICE` items
 * at a time with a turn of the event loop between slices. A district's 4,000 sites as one
 * `res.json` held the alarm thread for the whole list (its views and one `JSON.stringify` of
 * megabytes); sliced, a panic that arrives meanwhile waits for one slice at most. `view` returning
 * `undefined` leaves the item out. A client that goes away stops the rest.
 */
export async function sendSliced<T>(
  res: Response,
  head: Record<string, unknown>,
  key: string,
  items: readonly T[],
  view: (item: T) => unknown,
): Promise<void> {
  const open = JSON.stringify(head);
  res.status(200).type('application/json');
  res.write(`${open.slice(0, -1)}${open.length > 2 ? ',' : ''}${JSON.stringify(key)}:[`);
  try {
    let first = true;
    for (let i = 0; i < items.length; i += SLICE) {
      if (i > 0) await nextTurn();
      if (res.destroyed) return;
      const parts: string[] = [];
      for (const item of items.slice(i, i + SLICE)) {
        const v = view(item);
        if (v !== undefined) parts.push(JSON.stringify(v));
      }
      if (parts.length === 0) continue;
      const chunk = parts.join(',');
      const more = res.write(first ? chunk : `,${chunk}`);
      first = false;
      if (!more) await drained(res);
    }
    res.end(']}');
  } catch (err) {
    // Half a body is already sent: the client must see a broken response, not a valid prefix.
    res.destroy();
    throw err;
  }
}

/** Until the response's buffer has room again, or the client has gone. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

import { nextTurn } from './next-turn.js';

/**
 * A table read in pages of `page` rows in key order, a turn of the event loop between pages, so each
 * page holds the alarm thread for its own rows only. `read(after, limit)` returns up to `limit` rows
 * whose key is above `after`, in key order; `first` is below every key (0 for ids, '' for text).
 */
export async function* keysetPages<R, K, T>(opts: {
  read: (after: K, limit: number) => Promise<R[]>;
  first: K;
  key: (row: R) => K;
  map: (row: R) => T;
  page: number;
}): AsyncGenerator<T[]> {
  for (let after = opts.first; ; ) {
    const rows = await opts.read(after, opts.page);
    if (rows.length > 0) yield rows.map(opts.map);
    if (rows.length < opts.page) return;
    after = opts.key(rows.at(-1)!);
    await nextTurn();
  }
}

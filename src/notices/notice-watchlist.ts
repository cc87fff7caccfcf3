import { normalizePlate } from '../../models/plate-reader.js';

export interface WatchedPlate {
  untilMs: number;
  notice: string;
  note: string;
}

/**
 * Plates that notices put on the checkpoint watchlist, each until its notice's validity ends. Kept in
 * memory for the plate reader's hot path (one lookup a sighting) and loaded from the notices table at
 * start, so a restart keeps what is still valid.
 */
export class NoticeWatchlist {
  private readonly plates = new Map<string, WatchedPlate>();

  constructor(private readonly now: () => number = Date.now) {}

  add(plate: string, untilMs: number, notice: string, note: string): void {
    const key = normalizePlate(plate);
    const had = this.plates.get(key);
    // Two notices about one plate: it stays watched until the later one ends.
    if (!had || had.untilMs < untilMs) this.plates.set(key, { untilMs, notice, note });
  }

  /** The notice watching this plate now, if any (an expired entry is dropped on the way). */
  match(plate: string): WatchedPlate | undefined {
    const key = normalizePlate(plate);
    const w = this.plates.get(key);
    if (!w) return undefined;
    if (w.untilMs <= this.now()) {
      this.plates.delete(key);
      return undefined;
    }
    return w;
  }

  list(): { plate: string; until: string; notice: string }[] {
    const now = this.now();
    return [...this.plates.entries()]
      .filter(([, w]) => w.untilMs > now)
      .map(([plate, w]) => ({ plate, until: new Date(w.untilMs).toISOString(), notice: w.notice }));
  }
}

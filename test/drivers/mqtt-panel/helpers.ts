import { counterValue } from '../../helpers/service.js';

/** Panel messages rejected for `reason`, from the service's /metrics (0 when none yet). */
export function rejectedCount(httpUrl: string, reason: string): Promise<number> {
  return counterValue(httpUrl, `sharpeyes_panel_rejected_total{reason="${reason}"}`);
}

/** Events of one device in the store file, counted with SQL. */
export function storedEvents(
  db: { prepare(sql: string): { get(...a: unknown[]): unknown } },
  device: string,
) {
  return (db.prepare('SELECT COUNT(*) AS n FROM events WHERE device = ?').get(device) as { n: number }).n;
}

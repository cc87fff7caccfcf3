/** Reads one labelled counter from the Prometheus text of `/metrics` (0 when absent). */
export async function rejectedCount(httpUrl: string, reason: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const m = new RegExp(`^sharpeyes_panel_rejected_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Events of one device in the store file, counted with SQL. */
export function storedEvents(
  db: { prepare(sql: string): { get(...a: unknown[]): unknown } },
  device: string,
) {
  return (db.prepare('SELECT COUNT(*) AS n FROM events WHERE device = ?').get(device) as { n: number }).n;
}

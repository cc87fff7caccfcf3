// Types of queue-order.js for the Node tests (the console itself is plain JavaScript).
export interface QueueIncident {
  id: string;
  state: string;
  priority: number;
  kind: string;
  openedAt: string;
  updatedAt: string;
  transitions?: { to: string; by: string }[];
  escalations?: { kind: string; jurisdiction: string; at: string }[];
  owner?: string | { username?: string; user?: string };
}
export type Tab = 'alarms' | 'maintenance' | 'closed';
export const OPEN_STATES: Set<string>;
export const ACK_TARGET_SECONDS: Record<number, number>;
export const TABS: Tab[];
export function tabOf(inc: QueueIncident): Tab;
export function sortForTab<T extends QueueIncident>(list: T[], tab: string): T[];
export function queueOf<T extends QueueIncident>(incidents: Iterable<T>, tab: string): T[];
export function tabCounts(incidents: Iterable<QueueIncident>): Record<Tab, number>;
export function overdueSeconds(inc: QueueIncident, now?: number): number;
export function holderOf(inc: QueueIncident): string | undefined;
export function escalationsUp(inc: QueueIncident): { kind: string; jurisdiction: string; at: string }[];

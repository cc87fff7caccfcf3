// Types of shift.js for the Node tests (the console itself is plain JavaScript).
export interface Shift {
  key: string;
  kind: 'day' | 'night';
  start: Date;
  end: Date;
}
export function currentShift(now?: Date | number, tz?: string): string;
export function shiftOf(now?: Date | number, tz?: string): Shift;
export function previousShift(shift: Shift, tz?: string): Shift;

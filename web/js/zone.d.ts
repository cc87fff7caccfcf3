// Types of zone.js for the Node tests (the console itself is plain JavaScript).
export interface Zones {
  hall: string;
  months: string;
}
export interface WallParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
}
export interface WallFields {
  year: number;
  month: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  ms?: number;
}
export function setZones(next: Partial<Zones> | undefined, opts?: { remember?: boolean }): void;
export function hallZone(): string;
export function monthZone(): string;
export function formatIn(
  lang: string | undefined,
  options: Intl.DateTimeFormatOptions,
  tz?: string,
): Intl.DateTimeFormat;
export function wallParts(ms: number, tz?: string): WallParts;
export function offsetAt(ms: number, tz?: string): number;
export function instantAt(fields: WallFields, tz?: string): number;
export function addDays(
  day: { year: number; month: number; day: number },
  days: number,
): {
  year: number;
  month: number;
  day: number;
};
export function wallIso(ms: number, tz?: string): string;
export function parseWall(value: string | undefined, tz?: string): number;
export function monthOf(ms: number, tz?: string): string;
export function clockText(at: number | string | Date, lang?: string): string;

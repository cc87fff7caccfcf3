import type { RuleConfig } from '../config/sections/rules.js';

/** BS 8243: a confirming activation must follow the first within the confirmation time (30-60 min). */
export const DEFAULT_CONFIRM_WINDOW_SECONDS = 1800;

/**
 * The built-in rules, in order (issue 4). `rules:` in the config replaces the whole list.
 * - arm/disarm change the site's state only;
 * - a second zone, a linked camera's motion/person or a communication loss within the window confirms
 *   an unconfirmed intrusion (sequential confirmation, BS 8243) and raises it to P1;
 * - anything alarming at a site with an open alarm joins it (raising it when it is more urgent);
 * - panic/duress/fire/medical open a P1 at once; one intrusion zone opens an unconfirmed P2;
 * - tamper opens a P3 (a technical security event, not yet a break-in);
 * - trouble opens (or joins) a P4 maintenance ticket that its restore closes;
 * - a plate on the watchlist joins the site's open alarm or opens a confirmed P2 (a plate off the
 *   watchlist is stored only).
 * - a site's schedule (issue 17): an unexpected opening or a site late to close opens an unconfirmed
 *   P3 (the centre calls the site first).
 */
export const DEFAULT_RULES: readonly RuleConfig[] = [
  { name: 'arm-disarm', match: ['arm', 'disarm'], action: 'site_state' },
  { name: 'test-report', match: ['test'], action: 'ignore' },
  {
    name: 'sequential-confirmation',
    match: ['intrusion', 'motion', 'person', 'trouble'],
    action: 'confirm',
    priority: 1,
    confirmWindowSeconds: DEFAULT_CONFIRM_WINDOW_SECONDS,
  },
  {
    name: 'join-open-alarm',
    match: ['panic', 'duress', 'fire', 'medical', 'intrusion', 'tamper'],
    action: 'join',
  },
  { name: 'life-safety-p1', match: ['panic', 'duress', 'fire', 'medical'], action: 'open', priority: 1 },
  { name: 'intrusion-unconfirmed', match: ['intrusion'], action: 'open_unconfirmed', priority: 2 },
  { name: 'tamper-p3', match: ['tamper'], action: 'open', priority: 3 },
  { name: 'trouble-ticket', match: ['trouble', 'video_loss'], action: 'maintenance', priority: 4 },
  { name: 'plate-watchlist', match: ['plate'], detail: { watchlist: true }, action: 'join' },
  { name: 'plate-watchlist', match: ['plate'], detail: { watchlist: true }, action: 'open', priority: 2 },
  { name: 'restore-closes-ticket', match: ['restore', 'video_restore'], action: 'close_maintenance' },
  { name: 'unexpected-opening', match: ['unexpected_opening'], action: 'open_unconfirmed', priority: 3 },
  { name: 'late-to-close', match: ['late_to_close'], action: 'open_unconfirmed', priority: 3 },
];

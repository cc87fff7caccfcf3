import { foundation } from './001-foundation.js';
import { audit } from './002-audit.js';
import { core } from './010-core.js';
import { webhookOutbox } from './011-webhook-outbox.js';
import { outbox } from './012-outbox.js';
import { transitionOutcome } from './013-transition-outcome.js';
import { panels } from './020-panels.js';
import { panelSupervisedSince } from './021-panel-supervised-since.js';
import { panelCommandExpiry } from './022-panel-command-expiry.js';
import { cameraState } from './030-camera-state.js';
import { cameraLastFrame } from './031-camera-last-frame.js';
import { recording } from './040-recording.js';
import { recordingClipJobs } from './041-recording-clip-jobs.js';
import { recordingTimeline } from './042-recording-timeline.js';
import { playbackHolds } from './043-playback-holds.js';
import { playerHolds } from './044-player-holds.js';
import { recordingPurges } from './045-recording-purges.js';
import { live } from './050-live.js';
import { consolePrefs } from './060-console.js';
import { consoleHandover } from './061-console-handover.js';
import { models } from './070-models.js';
import { authSessions } from './080-auth-sessions.js';
import { webhookHookDue } from './081-webhook-hook-due.js';
import { reports } from './090-reports.js';
import { ratings } from './091-ratings.js';
import { notices } from './092-notices.js';
import { reportOutcome } from './093-report-outcome.js';
import { workflowIncidents } from './100-workflow-incidents.js';
import { notifications } from './101-notifications.js';
import { testRunawayStorm } from './102-test-runaway-storm.js';
import { schedules } from './103-schedules.js';
import { eventsDeviceTime } from './104-events-device-time.js';
import { clusterLeases } from './110-cluster-leases.js';
import { incidentsOpen } from './111-incidents-open.js';
import { decisionPages } from './112-decision-pages.js';
import { systemMinutes } from './113-system-minutes.js';
import { systemMinutesRecording } from './114-system-minutes-recording.js';
import { systemTroubleAcks } from './115-system-trouble-acks.js';
import { usernameKeys } from './116-username-keys.js';
import { noticesSender } from './117-notices-sender.js';
import { escalationDueAt } from './118-escalation-due-at.js';
import { loginFailures } from './119-login-failures.js';

export interface Migration {
  /** Strictly increasing; a database records the highest version applied. */
  version: number;
  name: string;
  /** SQLite DDL (the embedded default). */
  sql: string;
  /** PostgreSQL DDL when the mechanical translation (`migrations/postgres.ts`) is not enough. */
  postgres?: string;
  /** Values of existing rows that only JavaScript computes alike on both databases. */
  fill?: MigrationFill;
}

/**
 * Run after a migration's SQL, in its transaction, on both databases: `select` is read, `rows` turns
 * what it read into one parameter list of `update` (`?` placeholders) per row to write. Plain SQL
 * both dialects read alike; `rows` sees them all at once, so it may decide one row by another.
 */
export interface MigrationFill {
  select: string;
  update: string;
  rows: (selected: Record<string, unknown>[]) => unknown[][];
}

/**
 * Every migration, in order. Add a file per change and list it here; never edit one that has shipped.
 * Version ranges by area keep parallel work apart: core 10-19, panels 20-29, cameras 30-39,
 * recording 40-49, live 50-59, console 60-69, models 70-79, auth and security 80-89, reports and
 * notices 90-99, workflow 100-109, cluster 110-119.
 */
export const MIGRATIONS: readonly Migration[] = [
  foundation,
  audit,
  core,
  webhookOutbox,
  outbox,
  transitionOutcome,
  panels,
  panelSupervisedSince,
  panelCommandExpiry,
  cameraState,
  cameraLastFrame,
  recording,
  recordingClipJobs,
  recordingTimeline,
  playbackHolds,
  playerHolds,
  recordingPurges,
  live,
  consolePrefs,
  consoleHandover,
  models,
  authSessions,
  webhookHookDue,
  reports,
  ratings,
  notices,
  reportOutcome,
  workflowIncidents,
  notifications,
  testRunawayStorm,
  schedules,
  eventsDeviceTime,
  clusterLeases,
  incidentsOpen,
  decisionPages,
  systemMinutes,
  systemMinutesRecording,
  systemTroubleAcks,
  usernameKeys,
  noticesSender,
  escalationDueAt,
  loginFailures,
];

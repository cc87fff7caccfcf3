import { foundation } from './001-foundation.js';
import { audit } from './002-audit.js';
import { core } from './010-core.js';
import { webhookOutbox } from './011-webhook-outbox.js';
import { panels } from './020-panels.js';
import { panelSupervisedSince } from './021-panel-supervised-since.js';
import { recording } from './040-recording.js';
import { recordingClipJobs } from './041-recording-clip-jobs.js';
import { live } from './050-live.js';
import { consolePrefs } from './060-console.js';
import { models } from './070-models.js';

export interface Migration {
  /** Strictly increasing; a database records the highest version applied. */
  version: number;
  name: string;
  sql: string;
}

/**
 * Every migration, in order. Add a file per change and list it here; never edit one that has shipped.
 * Version ranges by area keep parallel work apart: core 10-19, panels 20-29, cameras 30-39,
 * recording 40-49, live 50-59, console 60-69, models 70-79.
 */
export const MIGRATIONS: readonly Migration[] = [
  foundation,
  audit,
  core,
  webhookOutbox,
  panels,
  panelSupervisedSince,
  recording,
  recordingClipJobs,
  live,
  consolePrefs,
  models,
];

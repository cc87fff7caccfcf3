import type { Migration } from './index.js';

/** Issue 15: each webhook has its own worker, which asks for the due rows of its hook only. */
export const webhookHookDue: Migration = {
  version: 81,
  name: 'webhook-hook-due',
  sql: `
    CREATE INDEX webhook_outbox_hook_due ON webhook_outbox(hook, state, next_attempt_at);
  `,
};

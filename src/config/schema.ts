import { z } from 'zod';
import { actionPlansSchema } from './sections/action-plans.js';
import { authSchema } from './sections/auth.js';
import { callListsSchema } from './sections/call-lists.js';
import { camerasSchema } from './sections/cameras.js';
import { clusterSchema, realtimeSchema } from './sections/cluster.js';
import { dc09Schema } from './sections/dc09.js';
import { escalationSchema } from './sections/escalation.js';
import { httpSchema } from './sections/http.js';
import { type JurisdictionNode, jurisdictionsSchema } from './sections/jurisdictions.js';
import { mapSchema } from './sections/map.js';
import { modelsSchema } from './sections/models.js';
import { mqttSchema } from './sections/mqtt.js';
import { noticesSchema } from './sections/notices.js';
import { notifiersSchema } from './sections/notifiers.js';
import { panelsSchema } from './sections/panels.js';
import { ratingsSchema } from './sections/ratings.js';
import { recordingSchema } from './sections/recording.js';
import { rulesSchema } from './sections/rules.js';
import { schedulesSchema } from './sections/schedules.js';
import { sitesSchema } from './sections/sites.js';
import { storageSchema } from './sections/storage.js';
import { unitsSchema } from './sections/units.js';
import { webhooksSchema } from './sections/webhooks.js';
import { workflowSchema } from './sections/workflow.js';
import { checkWorkflowReferences } from './sections/workflow-references.js';

/** The whole configuration: one schema per section, unknown keys rejected everywhere. */
export const configSchema = z
  .strictObject({
    http: httpSchema.prefault({}),
    mqtt: mqttSchema.prefault({}),
    dc09: dc09Schema.optional(),
    storage: storageSchema.prefault({}),
    auth: authSchema,
    jurisdictions: jurisdictionsSchema,
    sites: sitesSchema,
    panels: panelsSchema,
    cameras: camerasSchema,
    rules: rulesSchema,
    escalation: escalationSchema,
    units: unitsSchema,
    webhooks: webhooksSchema,
    recording: recordingSchema.prefault({}),
    models: modelsSchema,
    map: mapSchema.prefault({}),
    // Issue 17: the alarm-centre workflow.
    actionPlans: actionPlansSchema,
    callLists: callListsSchema,
    notifiers: notifiersSchema,
    schedules: schedulesSchema,
    workflow: workflowSchema,
    ratings: ratingsSchema, // issue 19
    notices: noticesSchema, // issue 19
    cluster: clusterSchema.prefault({}),
    realtime: realtimeSchema.prefault({}),
  })
  .superRefine(checkReferences)
  .superRefine(checkWorkflowReferences);

export type Config = z.infer<typeof configSchema>;

/** Ids must be unique and every reference must name something that exists. */
function checkReferences(cfg: z.infer<typeof configSchemaBase>, ctx: z.RefinementCtx): void {
  const nodes = new Set<string>();
  const walk = (list: JurisdictionNode[], path: (string | number)[]) => {
    list.forEach((n, i) => {
      if (nodes.has(n.id))
        ctx.addIssue({
          code: 'custom',
          path: [...path, i, 'id'],
          message: `duplicate jurisdiction id "${n.id}"`,
        });
      nodes.add(n.id);
      walk(n.children, [...path, i, 'children']);
    });
  };
  walk(cfg.jurisdictions, ['jurisdictions']);

  const sites = uniqueIds(cfg.sites, 'sites', 'site', ctx);
  cfg.sites.forEach((s, i) => {
    if (!nodes.has(s.jurisdiction))
      ctx.addIssue({
        code: 'custom',
        path: ['sites', i, 'jurisdiction'],
        message: `unknown jurisdiction "${s.jurisdiction}"`,
      });
  });
  const cameras = uniqueIds(cfg.cameras, 'cameras', 'camera', ctx);
  cfg.cameras.forEach((c, i) => {
    if (!sites.has(c.site))
      ctx.addIssue({ code: 'custom', path: ['cameras', i, 'site'], message: `unknown site "${c.site}"` });
  });
  uniqueIds(cfg.units, 'units', 'unit', ctx);
  cfg.units.forEach((u, i) => {
    if (!nodes.has(u.jurisdiction))
      ctx.addIssue({
        code: 'custom',
        path: ['units', i, 'jurisdiction'],
        message: `unknown jurisdiction "${u.jurisdiction}"`,
      });
  });
  uniqueIds(cfg.panels, 'panels', 'panel', ctx);
  cfg.panels.forEach((p, i) => {
    if (!sites.has(p.site))
      ctx.addIssue({ code: 'custom', path: ['panels', i, 'site'], message: `unknown site "${p.site}"` });
    for (const [zoneId, zone] of Object.entries(p.zones)) {
      zone.cameras.forEach((cam, j) => {
        if (!cameras.has(cam))
          ctx.addIssue({
            code: 'custom',
            path: ['panels', i, 'zones', zoneId, 'cameras', j],
            message: `unknown camera "${cam}"`,
          });
      });
    }
  });
  checkDc09Accounts(cfg.panels, ctx);
}

/**
 * Two panels may share a DC-09 account only on different lines or receivers, so that a message names
 * one panel (the most specific entry wins: an entry without a line may sit beside one with).
 */
function checkDc09Accounts(panels: z.infer<typeof panelsSchema>, ctx: z.RefinementCtx): void {
  const seen = new Map<string, string>();
  panels.forEach((p, i) => {
    if (!p.dc09) return;
    const key = `${p.dc09.account}|R${p.dc09.receiver ?? '*'}|L${p.dc09.line ?? '*'}`;
    const other = seen.get(key);
    if (other !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['panels', i, 'dc09', 'account'],
        message: `DC-09 account ${p.dc09.account} is already panel "${other}"'s; give one of them another line or receiver`,
      });
    else seen.set(key, p.id);
  });
}

function uniqueIds(list: { id: string }[], section: string, what: string, ctx: z.RefinementCtx): Set<string> {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (seen.has(item.id))
      ctx.addIssue({
        code: 'custom',
        path: [section, i, 'id'],
        message: `duplicate ${what} id "${item.id}"`,
      });
    seen.add(item.id);
  });
  return seen;
}

// The shape before refinement, for typing checkReferences.
const configSchemaBase = z.strictObject({
  jurisdictions: jurisdictionsSchema,
  sites: sitesSchema,
  panels: panelsSchema,
  cameras: camerasSchema,
  units: unitsSchema,
});

import type { z } from 'zod';
import type { CallContact } from './call-lists.js';
import type { NotifiersConfig } from './notifiers.js';
import type { SchedulesConfig } from './schedules.js';

interface WorkflowRefs {
  sites: { id: string }[];
  panels: { id: string }[];
  callLists: Record<string, CallContact[]>;
  notifiers: NotifiersConfig;
  schedules: SchedulesConfig;
}

/** Issue 17's sections name sites, panels and channels that must exist. */
export function checkWorkflowReferences(cfg: WorkflowRefs, ctx: z.RefinementCtx): void {
  const sites = new Set(cfg.sites.map((s) => s.id));
  const panels = new Set(cfg.panels.map((p) => p.id));
  const channels = new Set<string>();
  cfg.notifiers.channels.forEach((c, i) => {
    if (channels.has(c.id))
      ctx.addIssue({
        code: 'custom',
        path: ['notifiers', 'channels', i, 'id'],
        message: `duplicate channel id "${c.id}"`,
      });
    channels.add(c.id);
  });
  const unknown = (path: (string | number)[], what: string, id: string) =>
    ctx.addIssue({ code: 'custom', path, message: `unknown ${what} "${id}"` });
  for (const [site, contacts] of Object.entries(cfg.callLists)) {
    if (!sites.has(site)) unknown(['callLists', site], 'site', site);
    contacts.forEach((c, i) => {
      c.channels?.forEach((ch, j) => {
        if (!channels.has(ch)) unknown(['callLists', site, i, 'channels', j], 'notifier channel', ch);
      });
    });
  }
  cfg.notifiers.rules.forEach((r, i) => {
    r.channels?.forEach((ch, j) => {
      if (!channels.has(ch)) unknown(['notifiers', 'rules', i, 'channels', j], 'notifier channel', ch);
    });
  });
  for (const site of Object.keys(cfg.schedules.sites))
    if (!sites.has(site)) unknown(['schedules', 'sites', site], 'site', site);
  for (const panel of Object.keys(cfg.schedules.testTimers))
    if (!panels.has(panel)) unknown(['schedules', 'testTimers', panel], 'panel', panel);
}

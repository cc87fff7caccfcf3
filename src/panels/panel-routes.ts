import { Router } from 'express';
import { z } from 'zod';
import { PANEL_COMMANDS } from '../../drivers/mqtt-panel/protocol.js';
import { parse, requireUser, route, userOf } from '../api/middleware.js';
import { sendSliced } from '../api/sliced-json.js';
import { siteViewOf } from '../auth/people-names.js';
import type { PanelConfig } from '../config/sections/panels.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import type { PanelCommands } from './panel-commands.js';
import type { SupervisionMaintainer } from './supervision-maintainer.js';

const commandBody = z.strictObject({ command: z.enum(PANEL_COMMANDS) });
const commandsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).optional() });

/** What the console shows of a panel (`GET /api/panels` contract). */
export interface PanelView {
  id: string;
  site: string;
  online: boolean;
  armed: string | null;
  battery: number | null;
  mains: boolean | null;
  lastSeen: string | null;
  commLost: boolean;
  heartbeatSeconds: number;
}

export function panelRoutes(
  svc: Service,
  deps: { supervision: SupervisionMaintainer; commands: PanelCommands },
): Router {
  const r = Router();
  const access = svc.need('access');
  const dir = svc.need('dir');
  const audit = svc.need('audit');
  r.use('/api/panels', requireUser(svc.need('auth')));

  const view = (p: PanelConfig): PanelView => {
    const s = deps.supervision.state(p.id);
    return {
      id: p.id,
      site: p.site,
      online: s?.online ?? false,
      armed: s?.armed ?? null,
      battery: s?.battery ?? null,
      mains: s?.mains ?? null,
      lastSeen: lastSeenOf(s),
      commLost: s?.commLostSince !== undefined,
      heartbeatSeconds: p.heartbeatSeconds,
    };
  };

  /** 404 whether the panel is missing or out of scope, so scope leaks nothing. */
  const visiblePanel = (user: User, id: string): PanelConfig => {
    const p = dir.panel(id);
    if (!p || !access.canSeeSite(user, p.site))
      throw new HttpError(404, 'not_found', `panel ${id} does not exist`);
    return p;
  };

  r.get(
    '/api/panels',
    route(async (req, res) => {
      const user = userOf(req);
      const panels = dir.allPanels().filter((p) => access.canSeeSite(user, p.site));
      // A district's thousands of alarm phones: built and sent a slice at a time (sendSliced).
      await sendSliced(res, {}, 'panels', panels, view);
    }),
  );

  r.get(
    '/api/panels/:id',
    route(async (req, res) => {
      const out = view(visiblePanel(userOf(req), String(req.params['id'])));
      // Issue 17: the workflow adds `runaway` (read from the store).
      const more = svc.parts.get('panel.extendAsync') as (<T>(p: T) => Promise<T>) | undefined;
      res.json(more ? await more(out) : out);
    }),
  );

  const asSite = siteViewOf(svc);
  r.get(
    '/api/panels/:id/commands',
    route(async (req, res) => {
      const user = userOf(req);
      const p = visiblePanel(user, String(req.params['id']));
      const q = parse(commandsQuery, req.query, 'query');
      const commands = await deps.commands.list(p.id, q.limit);
      // The site's own user reads a desk's command (a remote arming) as the desk's station, never a
      // police login (README "Who acted, by name"); their own tests as their own.
      res.json({
        commands:
          user.role === 'site'
            ? commands.map((c) => ({ ...c, requestedBy: asSite(c.requestedBy) }))
            : commands,
      });
    }),
  );

  r.post(
    '/api/panels/:id/command',
    route(async (req, res) => {
      const user = userOf(req);
      const p = visiblePanel(user, String(req.params['id']));
      const { command } = parse(commandBody, req.body ?? {});
      // Operators and up command panels in their scope; a site user may only test their own panel.
      const allowed =
        user.role === 'admin' ||
        user.role === 'supervisor' ||
        user.role === 'operator' ||
        (user.role === 'site' && command === 'test');
      if (!allowed) {
        throw new HttpError(403, 'forbidden', `role ${user.role} cannot send ${command} to a panel`);
      }
      const cmd = await deps.commands.send(p.id, command, user.username);
      await audit.append({
        actor: user.username,
        action: 'panel.command',
        target: `panel:${p.id}`,
        detail: { command, requestId: cmd.requestId, site: p.site, state: cmd.state },
      });
      res.status(202).json(cmd);
    }),
  );
  return r;
}

function lastSeenOf(s: { lastSeen: number | undefined; online: boolean } | undefined): string | null {
  return s?.lastSeen !== undefined ? new Date(s.lastSeen).toISOString() : null;
}

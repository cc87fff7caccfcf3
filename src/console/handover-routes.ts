import { Router } from 'express';
import { z } from 'zod';
import { parse, requireRole, requireUser, route, userOf } from '../api/middleware.js';
import type { Service } from '../service.js';
import type { ConsoleStore } from './console-store.js';

/** The longest handover note: a page of the printed handover, not a report. */
export const HANDOVER_NOTE_MAX = 2000;

const noteBody = z.strictObject({
  text: z.string().trim().min(1).max(HANDOVER_NOTE_MAX).describe('What the next shift must know.'),
  shift: z
    .string()
    .regex(/^\d{4}-\d{1,2}-\d{1,2}-(day|night)$/, 'a shift as YYYY-M-D-day|night')
    .describe('The shift the note is written in (the console says which).'),
});

const listQuery = z.strictObject({
  since: z.iso.datetime({ offset: true }).optional().describe('Default: 24 hours ago.'),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/**
 * `GET /api/console/handover-notes` → `{notes, people}` (the user's subtree, newest first; `people`:
 * the authors' display names by username) and `POST /api/console/handover-notes {text, shift}` → 201
 * `{note, people}` (operators, supervisors, admins; filed under the writer's scope node, audited as
 * `console.handover_note`).
 */
export function handoverRoutes(svc: Service, store: ConsoleStore): Router {
  const r = Router();
  const access = svc.need('access');
  const audit = svc.need('audit');
  const people = svc.need('auth').people;
  // A site user has no desk and no shift: the handover is the duty desks'.
  r.use(
    '/api/console/handover-notes',
    requireUser(svc.need('auth')),
    requireRole('admin', 'supervisor', 'operator', 'investigator'),
  );

  r.get(
    '/api/console/handover-notes',
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(listQuery, req.query, 'query');
      const since = q.since ? new Date(q.since) : new Date(Date.now() - 24 * 3600_000);
      const nodes = access.visibleJurisdictions(user) ?? [];
      const notes = await store.handoverNotes(nodes, since.toISOString(), q.limit ?? 200);
      res.json({ notes, people: people.of(notes.map((n) => n.author)) });
    }),
  );

  r.post(
    '/api/console/handover-notes',
    requireRole('admin', 'supervisor', 'operator'),
    route(async (req, res) => {
      const user = userOf(req);
      const body = parse(noteBody, req.body ?? {});
      const note = await store.addHandoverNote({
        jurisdiction: user.scope,
        author: user.username,
        shift: body.shift,
        text: body.text,
        createdAt: new Date().toISOString(),
      });
      await audit.append({
        actor: user.username,
        action: 'console.handover_note',
        target: `jurisdiction:${user.scope}`,
        detail: { note: note.id, shift: note.shift },
      });
      res.status(201).json({ note, people: people.of([note.author]) });
    }),
  );
  return r;
}

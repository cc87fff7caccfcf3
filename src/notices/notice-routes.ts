import { Router } from 'express';
import { z } from 'zod';
import { normalizePlate } from '../../models/plate-reader.js';
import { parse, requireRole, requireUser, route, userOf } from '../api/middleware.js';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { User } from '../store/repositories.js';
import { type NoticeService, noticeView } from './notice-service.js';
import type { Notice, NoticeStore } from './notice-store.js';
import type { NoticeWatchlist } from './notice-watchlist.js';

const nodeId = z.string().min(1).max(64);

const sendBody = z.strictObject({
  to: z.array(nodeId).min(1).max(500).describe('Jurisdiction nodes the notice goes to.'),
  text: z.string().trim().min(1).max(2000),
  receiptMinutes: z.number().int().min(1).max(1440).optional(),
  plate: z
    .string()
    .max(16)
    .transform(normalizePlate)
    .pipe(z.string().min(5, 'a number plate such as 豫A12345'))
    .optional(),
  plateHours: z
    .number()
    .min(1)
    .max(24 * 90)
    .optional(),
  photo: z
    .string()
    .max(200_000)
    .regex(/^data:image\/(jpeg|png);base64,[A-Za-z0-9+/=]+$/, 'a JPEG or PNG as a data: URL')
    .optional(),
});

const sentQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('How many of the latest notices.'),
});

const NOTICE_ID = /^N-\d{8}-[0-9a-f]{8}$/;

/** A notice id from the path; anything else names no notice (404, as for an id that is not there). */
function noticeId(raw: unknown): string {
  const id = String(raw);
  if (!NOTICE_ID.test(id)) throw new HttpError(404, 'not_found', `notice ${id.slice(0, 64)} does not exist`);
  return id;
}

/**
 * Notices with receipts (issue 19): `POST /api/notices` from a supervisor or the centre,
 * `POST /api/notices/:id/receipt` from a desk of a node it was sent to, `GET /api/notices/:id` with
 * each node's receipt time (or null), the notices sent from the user's subtree with every target's
 * receipt (`GET /api/notices/sent`), the desk's unconfirmed notices and the city-wide silent list.
 */
export function noticeRoutes(
  svc: Service,
  deps: { service: NoticeService; store: NoticeStore; watchlist: NoticeWatchlist },
): Router {
  const r = Router();
  const auth = requireUser(svc.need('auth'));
  const staff = requireRole('admin', 'supervisor', 'operator');
  const tree = svc.need('dir').tree;
  const sees = (user: User) => (node: string) => tree.within(node, user.scope);
  const people = (usernames: string[]) => svc.need('auth').people.of(usernames);
  /** The view options for `user`: the sender's login only to the sender's node and those above. */
  const as = (user: User, n: Notice) => ({ people, senderLogin: tree.within(n.senderScope, user.scope) });

  r.post(
    '/api/notices',
    auth,
    requireRole('admin', 'supervisor'),
    route(async (req, res) => {
      const user = userOf(req);
      const body = parse(sendBody, req.body);
      const id = await deps.service.send(user, body);
      svc
        .need('audit')
        .append({ actor: user.username, action: 'notice.send', target: id, detail: { to: body.to } });
      res.status(201).json({ id });
    }),
  );

  r.get(
    '/api/notices/pending',
    auth,
    staff,
    route(async (req, res) => {
      const user = userOf(req);
      const ids = await deps.store.pendingFor(user.scope);
      const list = await Promise.all(ids.map((id) => deps.store.get(id)));
      res.json({
        notices: list.flatMap((n) =>
          n ? [noticeView(n, tree, (node) => node === user.scope, as(user, n))] : [],
        ),
      });
    }),
  );

  r.get(
    '/api/notices/silent',
    auth,
    staff,
    route(async (req, res) => {
      const user = userOf(req);
      const silent = (await deps.store.silent()).filter((s) => sees(user)(s.node));
      res.json({
        silent: silent.map((s) => ({
          notice: s.notice,
          text: s.text,
          sentAt: new Date(s.sentMs).toISOString(),
          node: s.node,
          name: tree.get(s.node)?.name ?? s.node,
          remindedAt: s.remindedMs === null ? null : new Date(s.remindedMs).toISOString(),
          listedAt: new Date(s.listedMs).toISOString(),
        })),
        watchlist: deps.watchlist.list(),
      });
    }),
  );

  // The receipts of what the user's node (or one below it) sent: every target, confirmed or not. A
  // node the notices were sent to reads them one by one (GET /api/notices/:id), its own receipt only.
  r.get(
    '/api/notices/sent',
    auth,
    staff,
    route(async (req, res) => {
      const user = userOf(req);
      const q = parse(sentQuery, req.query, 'query');
      const list = await deps.store.sentFrom(tree.subtree(user.scope), q.limit);
      res.json({
        notices: list.map((n) => noticeView(n, tree, () => true, { ...as(user, n), photo: false })),
      });
    }),
  );

  r.get(
    '/api/notices/:id',
    auth,
    staff,
    route(async (req, res) => {
      const user = userOf(req);
      const id = noticeId(req.params['id']);
      const n = await deps.service.get(id);
      // Seen by the desks it went to and by those above them, each with the nodes of their subtree.
      if (!n || (!n.targets.some((t) => sees(user)(t.node)) && !tree.within(n.senderScope, user.scope)))
        throw new HttpError(404, 'not_found', `notice ${id} does not exist`);
      const all = tree.within(n.senderScope, user.scope);
      res.json(noticeView(n, tree, (node) => all || sees(user)(node), as(user, n)));
    }),
  );

  r.post(
    '/api/notices/:id/receipt',
    auth,
    staff,
    route(async (req, res) => {
      const user = userOf(req);
      const id = noticeId(req.params['id']);
      const got = await deps.service.receipt(id, user);
      res.json({ id, node: got.node, receivedAt: got.receivedAt });
    }),
  );
  return r;
}

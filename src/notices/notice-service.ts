import { randomUUID } from 'node:crypto';
import type { People } from '../auth/people-names.js';
import type { NoticesConfig } from '../config/sections/notices.js';
import type { JurisdictionTree } from '../core/jurisdictions.js';
import { HttpError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Notice, NoticeStore } from './notice-store.js';
import type { NoticeWatchlist } from './notice-watchlist.js';

/** Socket.IO events of notices, to the `/ops` room of a jurisdiction node (`j:<node>`). */
export type NoticeEmit = (
  node: string,
  event: 'notice:new' | 'notice:reminder' | 'notice:receipt' | 'notice:silent',
  payload: unknown,
) => void;

export interface SendRequest {
  to: readonly string[];
  text: string;
  receiptMinutes?: number | undefined;
  plate?: string | undefined;
  plateHours?: number | undefined;
  photo?: string | undefined;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface ViewOptions {
  /**
   * Whether the viewer may read the sender's login: only the sender's node and those above it. A
   * desk the notice went to reads the sending node's name instead (a login is half of a police
   * account's credentials, and the people above a station are not its to know by login).
   */
  senderLogin?: boolean;
  /** Display names of the logins the view carries (`people`, as on incident views); none when absent. */
  people?: (usernames: string[]) => People;
  /** A list leaves each notice's photo out (up to 200 KB each); the notice's own view carries it. */
  photo?: boolean;
}

/** A notice as the API and the sockets show it, with the targets a viewer may see. */
export function noticeView(
  n: Notice,
  tree: JurisdictionTree,
  visible: (node: string) => boolean = () => true,
  opts: ViewOptions = {},
) {
  const senderName = tree.get(n.senderScope)?.name ?? n.senderScope;
  const targets = n.targets.filter((t) => visible(t.node));
  const senderLogin = opts.senderLogin ?? true;
  const logins = [
    ...(senderLogin ? [n.sentBy] : []),
    ...targets.flatMap((t) => (t.receivedBy ? [t.receivedBy] : [])),
  ];
  return {
    id: n.id,
    sentAt: iso(n.sentMs),
    sentBy: senderLogin ? n.sentBy : senderName,
    from: { id: n.senderScope, name: senderName },
    text: n.text,
    receiptMinutes: n.receiptMinutes,
    listMinutes: n.listMinutes,
    plate: n.plate,
    plateUntil: iso(n.plateUntilMs),
    ...(opts.photo === false ? {} : { photo: n.photo }),
    targets: targets.map((t) => ({
      node: t.node,
      name: tree.get(t.node)?.name ?? t.node,
      receivedAt: iso(t.receivedMs),
      receivedBy: t.receivedBy,
      receiptSeconds: t.receivedMs === null ? null : Math.round((t.receivedMs - n.sentMs) / 1000),
      remindedAt: iso(t.remindedMs),
      listedAt: iso(t.listedMs),
    })),
    ...(opts.people ? { people: opts.people(logins) } : {}),
  };
}
export type NoticeView = ReturnType<typeof noticeView>;

/**
 * Notices with receipts (issue 19, the 荥阳 practice): sent to jurisdiction nodes, popped up on every
 * desk of each, confirmed by one desk per node. Reminders and the city-wide list of the silent are
 * the maintainer's (notice-maintainer.ts), from the times stored here.
 */
export class NoticeService {
  private readonly sent;
  private readonly receipts;

  constructor(
    private readonly deps: {
      store: NoticeStore;
      tree: JurisdictionTree;
      config: NoticesConfig;
      emit: NoticeEmit;
      watchlist: NoticeWatchlist;
      log: Logger;
      metrics: Metrics;
      now?: () => number;
    },
  ) {
    this.sent = deps.metrics.counter('sharpeyes_notices_sent_total', 'Notices sent');
    this.receipts = deps.metrics.counter(
      'sharpeyes_notice_receipts_total',
      'Notice receipts, by on time or late',
      ['late'],
    );
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** Sends a notice from `sender` (scoped at `scope`) to nodes of that scope; answers its id. */
  async send(sender: { username: string; scope: string }, req: SendRequest): Promise<string> {
    const { tree, config } = this.deps;
    const to = [...new Set(req.to)];
    const outside = to.filter((n) => !tree.within(n, sender.scope));
    if (outside.length > 0)
      throw new HttpError(
        404,
        'not_found',
        `jurisdiction ${outside.join(', ')} does not exist in your jurisdiction`,
        {
          nodes: outside,
        },
      );
    const receiptMinutes = req.receiptMinutes ?? config.receiptMinutes;
    // The silent are listed after they were reminded, never before.
    const listMinutes = Math.max(config.listMinutes, receiptMinutes);
    const sentMs = this.now();
    const id = `N-${new Date(sentMs).toISOString().slice(0, 10).replace(/-/g, '')}-${randomUUID().slice(0, 8)}`;
    const plate = req.plate ?? null;
    const plateUntilMs = plate ? sentMs + (req.plateHours ?? config.plateValidHours) * 3_600_000 : null;
    await this.deps.store.create(
      {
        id,
        sentBy: sender.username,
        senderScope: sender.scope,
        sentMs,
        text: req.text,
        receiptMinutes,
        listMinutes,
        plate,
        plateUntilMs,
        photo: req.photo ?? null,
      },
      to,
    );
    this.sent.inc();
    if (plate && plateUntilMs) this.deps.watchlist.add(plate, plateUntilMs, id, req.text);
    const notice = (await this.deps.store.get(id))!;
    for (const node of to)
      this.deps.emit(
        node,
        'notice:new',
        noticeView(notice, tree, (n) => n === node, { senderLogin: tree.within(notice.senderScope, node) }),
      );
    this.deps.log.info({ notice: id, to, by: sender.username, plate: plate ?? undefined }, 'notices: sent');
    return id;
  }

  async get(id: string): Promise<Notice | undefined> {
    return this.deps.store.get(id);
  }

  /**
   * A desk confirms receipt for its node. The first receipt of a node is kept; a repeat answers the
   * stored time. The sender's node and those above it hear of it (`notice:receipt`).
   */
  async receipt(
    id: string,
    desk: { username: string; scope: string },
  ): Promise<{ node: string; receivedAt: string; first: boolean }> {
    const n = await this.deps.store.get(id);
    const target = n?.targets.find((t) => t.node === desk.scope);
    if (!n || !target) throw new HttpError(404, 'not_found', `notice ${id} was not sent to your node`);
    if (target.receivedMs !== null)
      return { node: target.node, receivedAt: new Date(target.receivedMs).toISOString(), first: false };
    const at = this.now();
    const first = await this.deps.store.receipt(id, target.node, desk.username, at);
    if (!first) return this.receipt(id, desk);
    this.receipts.inc({ late: String(at - n.sentMs > n.receiptMinutes * 60_000) });
    // The sender's node and every node above it read the notice's receipts (GET /api/notices/sent).
    const heard = {
      notice: id,
      node: target.node,
      name: this.deps.tree.get(target.node)?.name ?? target.node,
      receivedAt: new Date(at).toISOString(),
      receiptSeconds: Math.round((at - n.sentMs) / 1000),
    };
    for (const node of this.deps.tree.ancestors(n.senderScope)) this.deps.emit(node, 'notice:receipt', heard);
    return { node: target.node, receivedAt: new Date(at).toISOString(), first: true };
  }
}

import { jurisdictionRoom } from '../realtime/ops-namespace.js';
import type { Module, Service } from '../service.js';
import { NoticeMaintainer } from './notice-maintainer.js';
import { noticeRoutes } from './notice-routes.js';
import { type NoticeEmit, NoticeService } from './notice-service.js';
import { NoticeStore } from './notice-store.js';
import { NoticeWatchlist } from './notice-watchlist.js';

/**
 * Issue 19: notices with receipts. Socket.IO `notice:new` / `notice:reminder` to the `/ops` room of
 * each node a notice goes to, `notice:receipt` to the sender's node, `notice:silent` to the roots of
 * the tree (the city-wide list). Publishes `notices.watchlist` for the checkpoint plate reader.
 */
export function noticesModule(): Module {
  let maintainer: NoticeMaintainer | undefined;
  return {
    name: 'notices',
    async start(svc: Service) {
      const store = new NoticeStore(svc.need('store').k);
      const tree = svc.need('dir').tree;
      const ops = svc.need('ops');
      const emit: NoticeEmit = (node, event, payload) => {
        ops.to(jurisdictionRoom(node)).emit(event, payload);
      };
      const watchlist = new NoticeWatchlist();
      for (const p of await store.activePlates(Date.now()))
        watchlist.add(p.plate, p.untilMs, p.notice, p.text);
      svc.parts.set('notices.watchlist', watchlist);
      const cfg = svc.config.notices;
      const service = new NoticeService({
        store,
        tree,
        config: cfg,
        emit,
        watchlist,
        log: svc.log,
        metrics: svc.metrics,
      });
      svc.parts.set('notices', service);
      maintainer = new NoticeMaintainer({
        store,
        emit,
        cityNodes: tree
          .all()
          .filter((n) => n.parent === null)
          .map((n) => n.id),
        nodeName: (id) => tree.get(id)?.name ?? id,
        checkSeconds: cfg.checkSeconds,
        log: svc.log,
        metrics: svc.metrics,
      });
      maintainer.start();
      svc.parts.set('notices.maintainer', maintainer);
      svc.need('app').use(noticeRoutes(svc, { service, store, watchlist }));
    },
    async stop() {
      await maintainer?.stop();
    },
  };
}

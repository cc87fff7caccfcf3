import { Router } from 'express';
import { requireRole, requireUser, route, userOf } from '../api/middleware.js';
import type { Service } from '../service.js';
import type { RunawayStore } from './runaway/runaway-store.js';
import type { StormStore } from './storm/storm-store.js';
import type { TestModeStore } from './test-mode/test-mode-store.js';

/**
 * `GET /api/workflow/status` (desk roles): what the console's status strip shows an operator, in
 * their scope: storms in force (with how many events each holds), runaway panels (whose events are
 * counted on one incident instead of ringing, since when), and the sites and panels on test.
 */
export function workflowStatusRoutes(
  svc: Service,
  deps: { storms: StormStore; runaways: RunawayStore; testModes: TestModeStore; now: () => Date },
): Router {
  const r = Router();
  const k = () => svc.need('store').k;
  r.get(
    '/api/workflow/status',
    requireUser(svc.need('auth')),
    requireRole('admin', 'supervisor', 'operator'),
    route(async (req, res) => {
      const user = userOf(req);
      const dir = svc.need('dir');
      const access = svc.need('access');
      const at = deps.now().toISOString();
      const storms = (await deps.storms.inForce(k(), at)).filter(
        (s) => dir.tree.has(s.node) && dir.tree.within(s.node, user.scope),
      );
      const runaways = (await deps.runaways.allOpen(k())).filter((x) => access.canSeeSite(user, x.site));
      const testModes = (await deps.testModes.allInForce(k(), at)).filter((m) =>
        access.canSeeSite(user, m.site),
      );
      res.json({
        at,
        storms: await Promise.all(
          storms.map(async (s) => ({ ...s, held: await deps.storms.heldCount(k(), s.id) })),
        ),
        runaways: runaways.map((x) => ({
          device: x.device,
          site: x.site,
          since: x.since,
          ...(x.incident ? { incident: x.incident } : {}),
        })),
        testModes,
        // Who started each storm and test mode, by name (README "Who acted, by name").
        people: await svc
          .need('auth')
          .people.named([...storms.map((s) => s.by), ...testModes.map((m) => m.by)]),
      });
    }),
  );
  return r;
}

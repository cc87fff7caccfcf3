import type { PanelWireEventType } from '../../drivers/mqtt-panel/protocol.js';
import { PanelSimulator } from '../../drivers/simulator/panel-simulator.js';
import { type DemoCameras, startDemoCameras } from '../cameras/demo-cameras.js';
import type { Module, Service } from '../service.js';

export const DEMO_USERS = [
  { username: 'admin', password: 'sharpeyes-admin', role: 'admin', scope: 'city', displayName: '系统管理员' },
  {
    username: 'operator',
    password: 'sharpeyes-demo',
    role: 'operator',
    scope: 'city',
    displayName: '110 值班员',
  },
  {
    username: 'station',
    password: 'sharpeyes-demo',
    role: 'operator',
    scope: 'beicheng-station',
    displayName: '北城派出所值班',
  },
  {
    username: 'investigator',
    password: 'sharpeyes-demo',
    role: 'investigator',
    scope: 'city',
    displayName: '侦查员',
  },
  {
    username: 'shop',
    password: 'sharpeyes-demo',
    role: 'site',
    scope: 'site-jewellery',
    displayName: '金店店主',
  },
] as const;

/** Creates the demo accounts on an empty user table, so a first `npm start` can be logged into. */
export async function ensureDemoUsers(svc: Service): Promise<boolean> {
  const store = svc.need('store');
  if ((await store.users.count()) > 0) return false;
  const access = svc.need('access');
  const auth = svc.need('auth');
  for (const u of DEMO_USERS) {
    if (!access.validScope(u.role, u.scope)) continue;
    await auth.createUser({ ...u });
  }
  return true;
}

/**
 * The arming state a demo panel reports when it connects: a household armed stay (the family at
 * home), every other site (shops, banks, schools) armed away, as after closing. Without it a site's
 * page says forever that its panel has not reported.
 */
function demoArming(siteKind: string | undefined): 'away' | 'home' {
  return siteKind === 'household' ? 'home' : 'away';
}

/**
 * The demo city, as two modules. `cameras`, started before the camera registry and stopped after it:
 * its simulated cameras (issue 5) are up when the registry first connects and still up while the
 * service lets go of them, so a start or a stop logs no camera lost. `panels`, started last (it needs
 * the broker's port): simulated panels connect to the embedded broker, report their arming state, send
 * heartbeats and now and then raise an alarm, so a first look at the console shows a live hall.
 */
export function demoModules(): { cameras: Module; panels: Module } {
  const sims: PanelSimulator[] = [];
  let timer: NodeJS.Timeout | undefined;
  let cameras: DemoCameras | undefined;
  return {
    cameras: {
      name: 'demo-cameras',
      async start(svc) {
        if (!svc.demo) return;
        cameras = await startDemoCameras(svc.config.cameras, svc.log, { stopping: svc.stopping });
      },
      async stop() {
        await cameras?.stop();
        cameras = undefined;
      },
    },
    panels: {
      name: 'demo',
      async start(svc) {
        if (!svc.demo) return;
        const created = await ensureDemoUsers(svc);
        const port = svc.part<number>('mqttPort');
        const dir = svc.need('dir');
        for (const p of dir.allPanels()) {
          if (p.secret === undefined) continue; // a DC-09-only panel has no MQTT login
          const sim = new PanelSimulator({
            url: `mqtt://127.0.0.1:${port}`,
            id: p.id,
            secret: p.secret,
            prefix: svc.config.mqtt.topicPrefix,
            heartbeatSeconds: p.heartbeatSeconds,
            armed: demoArming(dir.site(p.site)?.kind),
          });
          await sim.connect();
          sims.push(sim);
        }
        const types: PanelWireEventType[] = ['panic', 'intrusion', 'intrusion', 'fire', 'test', 'trouble'];
        timer = setInterval(() => {
          const sim = sims[Math.floor(Math.random() * sims.length)];
          const type = types[Math.floor(Math.random() * types.length)];
          if (!sim || !type) return;
          sim
            .send(type, { zone: String(1 + Math.floor(Math.random() * 3)) })
            .catch((err: unknown) => svc.log.warn({ err }, 'demo: send failed'));
          cameras?.motionSomewhere();
        }, 90_000);
        timer.unref();
        svc.log.info({ panels: sims.length, usersCreated: created }, 'demo: simulated panels online');
      },
      async stop() {
        if (timer) clearInterval(timer);
        // The panels stay "online": it is the service that stops, not the sites going dark, so no
        // trouble tickets are raised by a demo shutdown.
        await Promise.all(sims.splice(0).map((s) => s.detach()));
      },
    },
  };
}

import mqtt, { type MqttClient } from 'mqtt';
import { API_CITY_YAML } from '../api/api-fixture.js';
import { api, startTestService, type TestService } from '../helpers/service.js';

/** The API test city with call lists and a low runaway threshold (issue 17). */
export const WORKFLOW_CITY_YAML = `${API_CITY_YAML}
callLists:
  shop-1:
    - { name: 王店长, phone: "+86 351 555 0101", role: manager }
    - { name: 李钥匙, phone: "+86 351 555 0102", role: keyholder }
workflow:
  testMode: { maxMinutes: 120 }
  runaway: { maxEvents: 10, windowSeconds: 60, clearBelowEvents: 2, clearSeconds: 300, reportSeconds: 1 }
  checkSeconds: 3600 # the tests tick the maintainer themselves, after moving the clock
`;

export type Err = { error: { code: string; message: string; data?: Record<string, unknown> } };

export interface WorkflowRig {
  svc: TestService;
  url(p: string): string;
  post<T>(p: string, token: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Moves the workflow's clock (the maintainer and the routes) by `ms`. */
  advance(ms: number): void;
  tick(): Promise<void>;
  /** A panel connected to the real embedded broker. */
  panel(id: string, secret: string): Promise<Panel>;
}

export interface Panel {
  client: MqttClient;
  /** Publishes an event (QoS 1: resolves once the service has committed it). */
  send(id: string, type: string, zone?: string): Promise<void>;
  end(): Promise<void>;
}

export async function startWorkflowRig(yaml = WORKFLOW_CITY_YAML): Promise<WorkflowRig> {
  const svc = await startTestService({ yaml });
  const clock = svc.svc.part<{ now: () => Date }>('workflow.clock');
  let offset = 0;
  clock.now = () => new Date(Date.now() + offset);
  const url = (p: string) => `${svc.httpUrl}${p}`;
  return {
    svc,
    url,
    post: (p, token, body = {}) => api(url(p), token, { method: 'POST', body: JSON.stringify(body) }),
    advance(ms) {
      offset += ms;
    },
    tick: () => svc.svc.part<{ tick(): Promise<void> }>('workflow.maintainer').tick(),
    async panel(id, secret) {
      const client = await mqtt.connectAsync(svc.mqttUrl, { username: id, password: secret, clientId: id });
      return {
        client,
        async send(evId, type, zone) {
          await client.publishAsync(
            `sharpeyes/panels/${id}/event`,
            JSON.stringify({ id: evId, type, ...(zone ? { zone } : {}), ts: new Date().toISOString() }),
            { qos: 1 },
          );
        },
        end: () => client.endAsync(),
      };
    },
  };
}

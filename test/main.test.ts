import { describe, expect, it } from 'vitest';
import { startTestService } from './helpers/service.js';

describe('startService', () => {
  // The demo's first footage swap raced a stop (test/cameras/demo-cameras.test.ts): what a module would
  // begin on its own later is told the stop has begun before any module lets go.
  it('says the stop has begun (svc.stopping) before the first module stops, while the service still serves', async () => {
    const running = await startTestService();
    const { svc } = running;
    expect(svc.stopping.aborted).toBe(false);
    const health = await fetch(`${running.httpUrl}/api/health`);
    expect(health.status).toBe(200);
    const seen: { listening: boolean | undefined; broker: unknown }[] = [];
    svc.stopping.addEventListener('abort', () =>
      seen.push({ listening: svc.http?.listening, broker: svc.parts.get('mqttPort') }),
    );
    await running.close();
    expect(svc.stopping.aborted).toBe(true);
    expect(seen).toEqual([{ listening: true, broker: expect.any(Number) }]);
    expect(svc.http?.listening).toBe(false);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { api, startTestService } from '../helpers/service.js';
import { dc09CityYaml } from './dc09-fixture.js';

describe('DC-09 module start', () => {
  it('a port in use stops the start with a message that says what to do', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'sharpeyes-dc09-busy-'));
    try {
      await expect(
        startTestService({
          yaml: dc09CityYaml().replace(
            'dc09: { host: 127.0.0.1, port: 0,',
            `dc09: { host: 127.0.0.1, port: ${port},`,
          ),
        }),
      ).rejects.toThrow(
        new RegExp(
          `dc09: cannot listen on 127\\.0\\.0\\.1:${port} \\(TCP and UDP\\): .*EADDRINUSE.*set dc09\\.port \\(0 picks a free one\\)`,
        ),
      );
    } finally {
      busy.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('without a top-level dc09 no receiver runs; MQTT panels work as before', async () => {
    const yaml = dc09CityYaml().replace(/^dc09: .*$/m, '');
    const svc = await startTestService({ yaml });
    try {
      const { body } = await api<{ checks: Record<string, unknown> }>(`${svc.httpUrl}/api/health`, undefined);
      expect(body.checks['dc09']).toBeUndefined();
      expect(body.checks['panels']).toMatchObject({ panels: 3 });
    } finally {
      await svc.close();
    }
  });
});

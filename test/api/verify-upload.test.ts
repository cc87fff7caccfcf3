import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestService, type TestService } from '../helpers/service.js';
import { declareSize, signedExport, zipOf } from '../streams/evidence-zips.js';
import { QUIET_API_CITY_YAML } from './api-fixture.js';

type Res = { ok?: boolean; signature?: string; error?: { code: string; message: string } };

describe('POST /api/exports/verify: investigators and up, in scope, capped', () => {
  let svc: TestService;
  let good: Buffer;
  let bomb: Buffer;
  const upload = (token: string, body: Buffer) =>
    api<Res>(`${svc.httpUrl}/api/exports/verify`, token, {
      method: 'POST',
      headers: { 'content-type': 'application/zip' },
      body: new Uint8Array(body),
    });
  const audit = async (action: string) => await svc.svc.need('audit').list({ action });

  beforeAll(async () => {
    svc = await startTestService({ yaml: QUIET_API_CITY_YAML });
    // Signed with the site key the service verifies against (<dataDir>/keys), of the north camera.
    good = readFileSync(await signedExport(svc.dataDir, join(svc.dataDir, 'keys')));
    const liar = await zipOf(join(svc.dataDir, 'liar.zip'), [
      { name: 'clips/x.mp4', data: Buffer.from('tiny') },
    ]);
    declareSize(liar, 0xfffffff0);
    bomb = readFileSync(liar);
  });
  afterAll(async () => {
    await svc?.close();
  });

  it.each([
    ['investigator', 'city', 200],
    ['supervisor', 'north', 200],
    ['admin', 'city', 200],
    ['operator', 'city', 403],
    ['site', 'shop-1', 403],
  ])('a %s at %s gets %i', async (role, scope, status) => {
    const token = await svc.login(`v-${role}-${scope}`, role, scope);
    const res = await upload(token, good);
    expect(res.status).toBe(status);
    if (status === 200) expect(res.body).toMatchObject({ ok: true, signature: 'valid' });
    else expect(res.body.error?.code).toBe('forbidden');
  });

  it('an investigator of another station is refused an export of north cameras (403), audited', async () => {
    const token = await svc.login('v-south', 'investigator', 'south');
    const res = await upload(token, good);
    expect([res.status, res.body.error?.code]).toEqual([403, 'out_of_scope']);
    expect(res.body.error?.message).toContain('cam-shop');
    expect((await audit('evidence.verify.refused')).find((r) => r.actor === 'v-south')?.detail).toMatchObject(
      {
        refused: 'out_of_scope',
        outOfScope: ['cam-shop'],
      },
    );
    expect((await audit('access.denied')).find((r) => r.actor === 'v-south')?.detail).toMatchObject({
      status: 403,
      code: 'out_of_scope',
    });
  });

  it('a small zip declaring gigabytes is refused with 422 before it is inflated, audited, and the service carries on', async () => {
    const token = await svc.login('v-bomb', 'investigator', 'city');
    const res = await upload(token, bomb);
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe('compression_ratio');
    expect(res.body.error?.message).toMatch(/refused as a zip bomb/);
    expect((await audit('evidence.verify.refused'))[0]).toMatchObject({
      actor: 'v-bomb',
      detail: { refused: 'compression_ratio' },
    });
    expect((await api(`${svc.httpUrl}/api/health`, undefined)).status).toBe(200);
  });
});

import type { Server } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { sendSliced } from '../../src/api/sliced-json.js';
import { loopWatch } from '../helpers/loop-watch.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A real Express app on loopback whose one route sends `items` through `sendSliced`. */
async function serve<T>(
  head: Record<string, unknown>,
  items: readonly T[],
  view: (item: T) => unknown,
): Promise<{ url: string; errors: unknown[] }> {
  const app = express();
  const errors: unknown[] = [];
  app.get('/list', (_req, res, next) => {
    sendSliced(res, head, 'items', items, view).catch(next);
  });
  app.use((err: unknown, _req: express.Request, _res: express.Response, _next: express.NextFunction) => {
    errors.push(err);
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/list`, errors };
}

describe('a long list sent a slice at a time', () => {
  const sites = Array.from({ length: 1_000 }, (_, i) => ({ id: `home-${i}`, name: `幸福里小区${i}号` }));

  it('sends what res.json sends, building at most 200 items between two turns of the event loop', async () => {
    let views = 0;
    const { url } = await serve({ month: '2026-11', final: true }, sites, (s) => {
      views++;
      return { ...s, rating: 'green' };
    });
    const watch = loopWatch(() => views);
    const res = await fetch(url);
    const body = await res.json();
    const stretches = watch.stop();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(body).toEqual({
      month: '2026-11',
      final: true,
      items: sites.map((s) => ({ ...s, rating: 'green' })),
    });
    expect(views).toBe(1_000);
    expect(Math.max(...stretches)).toBeLessThanOrEqual(200);
  });

  it('leaves out what the view leaves out, with or without a head, and sends an empty list', async () => {
    const odd = await serve({}, sites, (s) => (Number(s.id.slice(5)) % 2 ? s.id : undefined));
    expect(await (await fetch(odd.url)).json()).toEqual({
      items: sites.filter((_, i) => i % 2).map((s) => s.id),
    });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const none = await serve({ final: false }, sites.slice(0, 400), () => undefined);
    expect(await (await fetch(none.url)).json()).toEqual({ final: false, items: [] });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const empty = await serve({}, [], () => 1);
    expect(await (await fetch(empty.url)).json()).toEqual({ items: [] });
  });

  it('breaks the response, not the service, when a view fails half way, and stops when the client goes', async () => {
    const failing = await serve({}, sites, (s) => {
      if (s.id === 'home-700') throw new Error('view failed');
      return s;
    });
    // Half a body was sent with a 200: the client must not read a valid prefix as the list.
    await expect(fetch(failing.url).then((r) => r.json())).rejects.toThrow();
    expect(failing.errors.map((e) => (e as Error).message)).toEqual(['view failed']);
    await new Promise<void>((resolve) => server!.close(() => resolve()));

    let views = 0;
    const big = Array.from({ length: 20_000 }, (_, i) => ({ id: `home-${i}`, note: 'x'.repeat(2_000) }));
    const gone = await serve({}, big, (s) => {
      views++;
      return s;
    });
    const ctl = new AbortController();
    const res = await fetch(gone.url, { signal: ctl.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ctl.abort();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = views;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(views).toBe(after);
    expect(views).toBeLessThan(big.length);
  });
});

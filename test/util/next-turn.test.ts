import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextTurn } from '../../src/util/next-turn.js';

describe('nextTurn', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves on the next turn of the loop: after promise jobs and what the turn already queued', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('queued before'));
    const turn = nextTurn().then(() => order.push('next turn'));
    void Promise.resolve().then(() => order.push('promise job'));
    order.push('synchronous');
    await turn;
    expect(order).toEqual(['synchronous', 'promise job', 'queued before', 'next turn']);
  });

  it('lets a socket message that arrived meanwhile be read first', async () => {
    const { createServer, connect } = await import('node:net');
    const got: string[] = [];
    const server = createServer((s) => s.on('data', (d) => got.push(d.toString())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', r));
    client.write('panic');
    // Long work that yields with nextTurn: the message is read between its pieces.
    for (let i = 0; i < 1000 && got.length === 0; i++) {
      const until = performance.now() + 1;
      while (performance.now() < until) {}
      await nextTurn();
    }
    expect(got).toEqual(['panic']);
    client.destroy();
    await new Promise((r) => server.close(r));
  });

  it('is faked with the timers: a test that fakes setImmediate controls it', async () => {
    vi.useFakeTimers({ toFake: ['setImmediate'] });
    let done = false;
    void nextTurn().then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    vi.runAllTimers();
    await Promise.resolve();
    expect(done).toBe(true);
  });
});

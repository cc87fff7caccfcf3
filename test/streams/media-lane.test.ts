import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaLane } from '../../streams/media-lane.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Two loopback connections; returns the server's ends. */
async function twoSockets(): Promise<{ ends: Socket[]; writers: Socket[] }> {
  const server = createServer();
  const ends: Socket[] = [];
  server.on('connection', (s) => ends.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const writers = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1')];
  await Promise.all(writers.map((w) => once(w, 'connect')));
  while (ends.length < 2) await new Promise((r) => setTimeout(r, 5));
  cleanups.push(() => {
    for (const s of [...ends, ...writers]) s.destroy();
    server.close();
  });
  return { ends, writers };
}

describe('MediaLane', () => {
  it('runs a chunk after every socket read of its poll phase, not where it was read', async () => {
    const lane = new MediaLane();
    const { ends, writers } = await twoSockets();
    const log: string[] = [];
    const done = new Promise<void>((resolve) => {
      // Whichever socket is read first stands for a camera's pipe, the other for a panel's socket.
      for (const end of ends) {
        end.once('data', () => {
          if (log.length === 0) {
            log.push('pipe read');
            lane.run(() => {
              log.push('chunk split');
              resolve();
            });
          } else log.push('panel read');
        });
      }
    });
    // Both are in the kernel's buffers before the loop polls again: one poll phase reads both.
    writers[0]?.write('fragment bytes');
    writers[1]?.write('panic');
    await done;
    expect(log).toEqual(['pipe read', 'panel read', 'chunk split']);
  });

  it('runs for its budget a turn, then lets the loop go round before the rest', async () => {
    let clock = 0;
    const lane = new MediaLane(1, () => clock);
    const log: string[] = [];
    const finished = new Promise<void>((resolve) => {
      for (let i = 1; i <= 5; i++) {
        lane.run(() => {
          clock += 0.6; // each chunk takes 0.6 ms: two fit a 1 ms turn
          log.push(`chunk ${i}`);
          if (i === 1) setImmediate(() => log.push('loop went round'));
          if (i === 5) resolve();
        });
      }
    });
    expect(lane.pending).toBe(5);
    await finished;
    expect(log).toEqual(['chunk 1', 'chunk 2', 'loop went round', 'chunk 3', 'chunk 4', 'chunk 5']);
    expect(lane.pending).toBe(0);
  });

  it('records how long each piece of work waited for its turn', async () => {
    let clock = 0;
    const lane = new MediaLane(10, () => clock);
    const done = new Promise<void>((resolve) => {
      for (let i = 1; i <= 3; i++)
        lane.run(() => {
          clock += 2; // each chunk takes 2 ms, so the third waited for the two before it
          if (i === 3) resolve();
        });
    });
    await done;
    expect(lane.waits.count).toBe(3);
    expect(lane.waits.min).toBe(1); // the first waited no time on this clock (recorded as 1 ns)
    // Milliseconds, at the histogram's precision (three significant digits).
    expect(lane.waits.max / 1e6).toBeCloseTo(4, 1);
    expect(lane.waits.percentile(50) / 1e6).toBeCloseTo(2, 1);
  });

  it('keeps the order work was queued in, across turns and after it went idle', async () => {
    let clock = 0;
    const lane = new MediaLane(1, () => clock);
    const seen: number[] = [];
    const all = (n: number) =>
      new Promise<void>((resolve) => {
        for (let i = 0; i < n; i++) {
          lane.run(() => {
            clock += 0.3;
            seen.push(seen.length);
            if (seen.length % n === 0) resolve();
          });
        }
      });
    await all(50);
    await all(50);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

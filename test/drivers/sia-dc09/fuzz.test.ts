import { describe, expect, it } from 'vitest';
import { type FrameFault, splitDatagram } from '../../../drivers/sia-dc09/frame.js';
import {
  FUZZ_KEY,
  independentFrames,
  MUTATIONS,
  type Mutation,
  mutateBody,
  prng,
  seedFrames,
} from './fuzz-helpers.js';
import { testPipeline } from './helpers.js';

const ROUNDS = 20_000;
const show = (b: Buffer) => JSON.stringify(b.toString('latin1'));

describe('fuzz: mutated frames against the receiver pipeline', () => {
  const accounts = [{ account: '1234' }, { account: 'AB12', keyHex: FUZZ_KEY }];

  it(`${ROUNDS} frames damaged anywhere: no crash, nothing handed on unless the frame is still valid`, async () => {
    const r = prng(0x5eed_0918);
    const seeds = seedFrames();
    const names = Object.keys(MUTATIONS);
    const t = testPipeline(accounts);
    const faults: Record<FrameFault, number> = { bad_crc: 0, bad_length: 0, bad_frame: 0 };
    let stillValid = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const seed = seeds[Math.floor(r() * seeds.length)] as Buffer;
      const name = names[Math.floor(r() * names.length)] as string;
      const bytes = (MUTATIONS[name] as Mutation)(seed, r);
      const before = t.handled.length;
      for (const item of splitDatagram(bytes)) {
        if ('frame' in item) await t.pipeline.answer(item.frame, 'fuzz');
        else faults[item.fault]++;
      }
      const valid = independentFrames(bytes);
      if (valid > 0) stillValid++;
      // Only frames the independent CRC check accepts may reach the service.
      if (t.handled.length - before > valid) expect.fail(`round ${i} (${name}) handed on ${show(bytes)}`);
    }
    // Some mutations leave a valid frame (a byte replaced by itself, a run duplicated in filler).
    // Seed 0x5eed0918 gave 393 still valid, 4,898 bad CRC, 13,169 bad length, 1,820 bad frame.
    expect(stillValid).toBeLessThan(ROUNDS / 20);
    expect(faults.bad_crc).toBeGreaterThan(ROUNDS / 8);
    expect(faults.bad_length).toBeGreaterThan(ROUNDS / 4);
    expect(faults.bad_frame).toBeGreaterThan(0);
  });

  it(`${ROUNDS} frames with a damaged body but a correct CRC: every one answered or counted, none crashes`, async () => {
    const r = prng(0xdc09);
    const seeds = seedFrames();
    const t = testPipeline(accounts);
    let answered = 0;
    let notDc09 = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const bytes = mutateBody(seeds[Math.floor(r() * seeds.length)] as Buffer, r);
      const items = splitDatagram(bytes);
      const item = items[0];
      if (items.length !== 1 || !item) expect.fail(`round ${i}: ${items.length} items from ${show(bytes)}`);
      if ('fault' in item) {
        // CRC and length are right: the only fault left is a body that no longer starts with `"`.
        if (item.fault !== 'bad_frame') expect.fail(`round ${i}: ${item.fault} from ${show(bytes)}`);
        notDc09++;
        continue;
      }
      const outcomesBefore = t.outcomes.length;
      if (await t.pipeline.answer(item.frame, 'fuzz')) answered++;
      if (t.outcomes.length !== outcomesBefore + 1) expect.fail(`round ${i}: not counted ${show(bytes)}`);
    }
    // A frame goes unanswered only when its header no longer parses (the standard's silence).
    const silent = t.outcomes.filter((o) => o.outcome === 'bad_frame' || o.outcome === 'bad_crc').length;
    expect(answered + silent + notDc09).toBe(ROUNDS);
    expect(answered).toBeGreaterThan(ROUNDS / 2);
    expect(t.outcomes.filter((o) => o.outcome === 'duh').length).toBeGreaterThan(0);
  });
});

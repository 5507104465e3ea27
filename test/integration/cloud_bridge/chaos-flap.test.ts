/**
 * A seconds-long slice of `npm run chaos -- --only flap` (scripts/chaos/flap.ts) against mosquitto: the
 * bridge's link cut and restored every 2 s for 12 s while events are produced (fixed seed).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mosquittoSkipReason, startMosquitto, type MosquittoBroker } from '../../helpers/brokers';
import { flap } from '../../../scripts/chaos/flap';

const skip = mosquittoSkipReason();

(skip ? describe.skip : describe)(`chaos slice: link flapping every 2 s (mosquitto)${skip ? ` (${skip})` : ''}`, () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker.close();
  });

  it('loses no event and keeps first arrivals in order per robot', async () => {
    const r = await flap(broker, { durationS: 12, periodS: 2, eventsPerS: 20, seed: 20261207 });
    const checks = r.checks as Record<string, { value: number; pass: boolean }>;
    expect(Object.entries(checks).filter(([, c]) => !c.pass)).toEqual([]);
    expect(r.cuts).toBeGreaterThanOrEqual(3);
    expect(r.eventsProduced).toBeGreaterThan(100);
    expect(r.eventsArrived).toBe(r.eventsProduced);
  }, 60_000);
});

/**
 * A seconds-long slice of `npm run chaos -- --only skew` (scripts/chaos/skew.ts) against mosquitto: robots
 * whose clocks run 5 min ahead of and behind the planner's (and 20 s behind, within the 30 s tolerance)
 * get the same signed decisions twice; every verdict must be the one docs/contract.md gives.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mosquittoSkipReason, startMosquitto, type MosquittoBroker } from '../../helpers/brokers';
import { skew } from '../../../scripts/chaos/skew';

const skip = mosquittoSkipReason();

(skip ? describe.skip : describe)(
  `chaos slice: robot clock skewed ±5 min (mosquitto)${skip ? ` (${skip})` : ''}`,
  () => {
    let broker: MosquittoBroker;
    beforeAll(async () => {
      broker = await startMosquitto();
    });
    afterAll(async () => {
      await broker.close();
    });

    it('judges expiry, the future-dating tolerance and replays by the robot clock, as the contract documents', async () => {
      const r = await skew(broker, {
        skewsS: [-300, -20, 0, 300],
        lifetimesS: [60, 290, 304, 600, 3600],
        replayAfterS: 6,
      });
      const checks = r.checks as Record<string, { value: number; pass: boolean }>;
      expect(r.differing).toEqual([]);
      expect(Object.entries(checks).filter(([, c]) => !c.pass)).toEqual([]);
      const by = r.verdictsBySkew as Record<string, Record<string, number>>;
      // 5 min behind: every decision is dated in the robot's future, both copies refused
      expect(by['-300 s']).toEqual({ FUTURE_DATED: 10 });
      // 20 s behind (within 30 s): accepted once, the copy refused as a replay
      expect(by['-20 s']).toEqual({ accepted: 5, REPLAYED: 5 });
      // 5 min ahead: lifetimes up to 5 min are already over; 304 s has 4 s left, gone by the copy
      expect(by['+300 s']).toEqual({ EXPIRED: 5, accepted: 3, REPLAYED: 2 });
    }, 60_000);
  },
);

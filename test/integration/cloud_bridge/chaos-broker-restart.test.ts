/**
 * A seconds-long slice of `npm run chaos -- --only broker-restart` (scripts/chaos/broker-restart.ts): 10
 * bridges (100 in the experiment) publish a burst of events to mosquitto, which is killed (SIGKILL) 2 s
 * into it and started again 2 s later with its persistence; a national consumer on a persistent session
 * acknowledges end to end. Every event must arrive and every robot reconnect.
 */
import { describe, it, expect } from '@jest/globals';
import { mosquittoSkipReason } from '../../helpers/brokers';
import { brokerRestart } from '../../../scripts/chaos/broker-restart';

const skip = mosquittoSkipReason();

(skip ? describe.skip : describe)(
  `chaos slice: broker killed and restarted mid-burst${skip ? ` (${skip})` : ''}`,
  () => {
    it('loses no event of 10 robots, which all reconnect; the books complete in seq order per robot', async () => {
      const r = await brokerRestart({
        robots: 10,
        eventsPerRobot: 40,
        burstS: 5,
        killAtS: 2,
        downS: 2,
        signal: 'SIGKILL',
        endToEndAck: 'required',
      });
      const checks = r.checks as Record<string, { value: number; pass: boolean }>;
      expect(Object.entries(checks).filter(([, c]) => !c.pass)).toEqual([]);
      expect(r.eventsNumbered).toBe(400);
      expect(r.eventsArrived).toBe(400);
      expect(r.eventsLost).toBe(0);
      expect(checks.robotsReconnected!.value).toBe(10);
    }, 90_000);
  },
);

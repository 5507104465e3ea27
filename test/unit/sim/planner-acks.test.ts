/**
 * The reference national side's books of one robot's events: dedupe by (epoch, seq), gaps that close
 * late, losses only where the robot declares them, and the cumulative acknowledgement it sends.
 */
import { describe, it, expect } from '@jest/globals';
import { EventBook } from '../../../sim/planner/acks';
import { ackSchema } from '../../../nodes/core/contract';

const ackOf = (b: EventBook): Record<string, unknown> =>
  JSON.parse(b.ackPayload('care-007', 1795849204300)!.toString('utf8')) as Record<string, unknown>;

describe('event books of the reference national side', () => {
  it('acknowledges the seq up to which it has everything, never past a gap, and closes the gap when the re-send comes', () => {
    const b = new EventBook();
    for (const s of [1, 2, 4, 5]) expect(b.receive('e1', s)).toBe('new');
    expect([b.acked, b.outOfOrder]).toEqual([2, 2]);
    expect(ackOf(b)).toEqual({ v: '1.3', robotId: 'care-007', epoch: 'e1', seq: 2, at: 1795849204300 });
    expect(ackSchema.safeParse(ackOf(b)).success).toBe(true);
    // The robot re-sends from 3 after its timeout: 3 is new, 4 and 5 are duplicates.
    expect([b.receive('e1', 3), b.receive('e1', 4), b.receive('e1', 5)]).toEqual(['new', 'duplicate', 'duplicate']);
    expect([b.acked, b.acknowledged, b.duplicates, b.declaredLost]).toEqual([5, 5, 2, 0]);
  });

  it('counts as lost only the seqs below a floorSeq it never received, and acknowledges past them', () => {
    const b = new EventBook();
    for (const s of [1, 2, 5, 7]) b.receive('e1', s);
    // A loss event (seq 9) says nothing below 6 will come again: 3 and 4 are lost; 6 and 8 are still held by
    // the robot (its floor is 6) and come late.
    b.receive('e1', 9, 6);
    expect([b.acked, b.declaredLost, b.acknowledged]).toEqual([5, 2, 3]);
    b.receive('e1', 6);
    expect(b.acked).toBe(7);
    b.receive('e1', 8);
    expect([b.acked, b.acknowledged]).toEqual([9, 7]);
    // A floor at or below what is acknowledged changes nothing.
    b.receive('e1', 10, 4);
    expect([b.acked, b.declaredLost]).toEqual([10, 2]);
  });

  it('starts new books for a new epoch (a replaced outbox), so its seq 1 is not a duplicate', () => {
    const b = new EventBook();
    for (const s of [1, 2, 3]) b.receive('e1', s);
    expect(b.receive('e2', 1)).toBe('new');
    expect([b.epoch, b.acked, b.epochChanges, b.duplicates]).toEqual(['e2', 1, 1, 0]);
  });

  it('owes an ack after every arrival, duplicates included, and none to a 1.1 robot without epoch', () => {
    const b = new EventBook();
    b.receive('e1', 1);
    expect(b.ackDue).toBe(true);
    ackOf(b);
    expect(b.ackDue).toBe(false);
    b.receive('e1', 1);
    expect(b.ackDue).toBe(true);
    const old = new EventBook();
    old.receive(undefined, 1);
    expect(old.ackPayload('care-007', 0)).toBeUndefined();
  });
});

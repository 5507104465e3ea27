/**
 * The national side's books of one robot's events (docs/contract.md, "events/ack"): dedupe by
 * (epoch, seq), gaps, losses the robot declares with a loss event's `floorSeq`, and the cumulative
 * acknowledgement to send back. Pure: the planner (and any test consumer) feeds it events and sends
 * `ackPayload()` on the robot's `events/ack` topic.
 */
import { CONTRACT_VERSION, type Ack } from '../../nodes/core/contract';

/** What became of one event. */
export type Receipt = 'new' | 'duplicate';

export class EventBook {
  /** The epoch of the stream being kept ('' for a 1.1 robot, which sends none). */
  epoch: string | undefined;
  /** Every seq up to this one was received or declared lost: what the next ack says. */
  acked = 0;
  /** Seqs received above `acked` (arrived after a gap). */
  private readonly above = new Set<number>();
  /** Every seq received in this epoch (unique). */
  readonly received = new Set<number>();
  /** [count] copies of events already received. */
  duplicates = 0;
  /** [count] seqs the robot declared lost (below a floorSeq, never received). */
  declaredLost = 0;
  /** [count] events that arrived above a gap (the ones before them were late or lost). */
  outOfOrder = 0;
  /** [count] new epochs after the first (the robot's outbox was replaced: seq starts again). */
  epochChanges = 0;
  /** Something arrived since the last ack was built: one is due. */
  ackDue = false;

  /** Books one event of `epoch` (undefined: a 1.1 robot), with the `floorSeq` of a loss event. */
  receive(epoch: string | undefined, seq: number, floorSeq?: number): Receipt {
    const e = epoch ?? '';
    if (this.epoch !== e) {
      if (this.epoch !== undefined) this.epochChanges++;
      this.epoch = e;
      this.acked = 0;
      this.above.clear();
      this.received.clear();
    }
    this.ackDue = true;
    if (seq <= this.acked || this.above.has(seq)) {
      this.duplicates++;
      return 'duplicate';
    }
    this.received.add(seq);
    this.above.add(seq);
    if (seq > this.acked + 1) this.outOfOrder++;
    if (floorSeq !== undefined && floorSeq - 1 > this.acked) {
      // Every seq below the floor not received by now will never come.
      let got = 0;
      for (const s of this.above) {
        if (s < floorSeq) {
          got++;
          this.above.delete(s);
        }
      }
      this.declaredLost += floorSeq - 1 - this.acked - got;
      this.acked = floorSeq - 1;
    }
    while (this.above.delete(this.acked + 1)) this.acked++;
    return 'new';
  }

  /** [count] events acknowledged: received at or below `acked`. */
  get acknowledged(): number {
    return this.acked - this.declaredLost;
  }

  /** The ack to send now for `robotId` at `nowMs` (clears `ackDue`), or undefined before any event. */
  ackPayload(robotId: string, nowMs: number): Buffer | undefined {
    if (this.epoch === undefined || this.epoch === '') return undefined; // a 1.1 robot is not acknowledged
    this.ackDue = false;
    const ack: Ack = { v: CONTRACT_VERSION, robotId, epoch: this.epoch, seq: this.acked, at: nowMs };
    // Typed by the contract's schema (a test checks the bytes against it): not re-validated per ack.
    return Buffer.from(JSON.stringify(ack));
  }
}

/**
 * The national side's end-to-end acknowledgements of this robot's events (contract 1.2, `events/ack`):
 * judging one (pure) and what follows from it — the events it covers leave the outbox, the sender's
 * retransmit timer restarts, and when the receiver's books stop below seqs the outbox no longer holds
 * (dropped when it was full, or removed on PUBACK before end-to-end acknowledgement was in force) a
 * loss event with `floorSeq` tells it they will not come. Never throws: this runs in the MQTT client's
 * callback.
 */
import { ackSchema } from '../core/contract';
import type { BridgeStore } from './store';
import type { OutboxSender } from './sender';

/** Why an acknowledgement is ignored. `OTHER_EPOCH` is routine (an ack for an older outbox), the rest are reported. */
export type AckRejectReason =
  'RETAINED' | 'NOT_JSON' | 'SCHEMA_INVALID' | 'WRONG_ROBOT' | 'OTHER_EPOCH' | 'BEYOND_LAST_SEQ';

export type AckVerdict = { ok: true; seq: number } | { ok: false; reason: AckRejectReason; message: string };

/** What an ack must match: this robot, its outbox epoch, and no seq beyond the last one handed out. */
export interface AckExpectation {
  robotId: string;
  epoch: string;
  lastSeq: number;
}

/** Judges one message of the robot's `events/ack` topic. */
export function judgeAck(payload: Buffer, retained: boolean, e: AckExpectation): AckVerdict {
  // A retained ack would be replayed at every subscribe: the contract never sends one.
  if (retained) return { ok: false, reason: 'RETAINED', message: 'a retained acknowledgement is ignored' };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'NOT_JSON', message: 'not JSON' };
  }
  const parsed = ackSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return { ok: false, reason: 'SCHEMA_INVALID', message: `${i?.path.map(String).join('.')}: ${i?.message}` };
  }
  const a = parsed.data;
  if (a.robotId !== e.robotId) return { ok: false, reason: 'WRONG_ROBOT', message: `robotId '${a.robotId}'` };
  if (a.epoch !== e.epoch) {
    return { ok: false, reason: 'OTHER_EPOCH', message: `epoch '${a.epoch}', this outbox is '${e.epoch}'` };
  }
  if (a.seq > e.lastSeq) {
    return { ok: false, reason: 'BEYOND_LAST_SEQ', message: `seq ${a.seq} beyond the last one sent, ${e.lastSeq}` };
  }
  return { ok: true, seq: a.seq };
}

/**
 * Whether an ack of `seq` (not below `previousAck`) shows the receiver waiting for seqs this outbox no
 * longer holds: the lowest event it holds is `lowestHeld` (undefined: none) and the last one handed
 * out `lastSeq`. Everything between the ack and what is held was dropped or left on a PUBACK.
 */
export function receiverStuck(
  seq: number,
  previousAck: number,
  lowestHeld: number | undefined,
  lastSeq: number,
): boolean {
  if (seq < previousAck) return false;
  return lowestHeld === undefined ? lastSeq > seq : lowestHeld > seq + 1;
}

export interface AckDeps {
  store: BridgeStore;
  sender: OutboxSender;
  robotId: string;
  /** Wall clock [ms since epoch]. */
  now: () => number;
  /** Enqueues a loss event with `floorSeq` (counts 0 unless something was dropped since the last one). */
  declareFloor: () => void;
  /** Sends what the ack made room for. */
  pump: () => void;
  debug: (text: string) => void;
  error: (text: string) => void;
}

/** The acknowledgement side of the bridge, with its counters. */
export class AckInbox {
  /** [count] acknowledgements applied. */
  applied = 0;
  /** [count] ignored (wrong robot, epoch, seq, shape). */
  ignored = 0;
  /** The ack seq a floor was last declared for (one declaration per stuck ack). */
  private floorFor = -1;

  constructor(private readonly d: AckDeps) {}

  /** Applies one message of the `events/ack` topic. */
  handle(payload: Buffer, retained: boolean): void {
    const d = this.d;
    try {
      const store = d.store;
      const v = judgeAck(payload, retained, { robotId: d.robotId, epoch: store.epoch, lastSeq: store.lastSeq });
      if (!v.ok) {
        this.ignored++;
        const text = `KZ_ERR_BRIDGE_ACK_INVALID: acknowledgement ignored (${v.reason}): ${v.message}`;
        if (v.reason === 'OTHER_EPOCH') d.debug(text);
        else d.error(text);
        return;
      }
      const previous = store.ackedSeq;
      store.ackThrough(v.seq);
      d.sender.onEndToEndAck(v.seq, d.now());
      this.applied++;
      if (receiverStuck(v.seq, previous, store.lowestHeldSeq(), store.lastSeq) && this.floorFor !== v.seq) {
        this.floorFor = v.seq;
        d.debug(`national side acknowledges up to ${v.seq} only, below what this outbox holds: declaring a floor`);
        d.declareFloor();
      }
      d.pump();
    } catch (err) {
      d.error(`handling an acknowledgement failed: ${(err as Error).message}`);
    }
  }
}

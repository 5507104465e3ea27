import { describe, it, expect, afterAll } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckInbox, judgeAck, receiverStuck } from '../../../nodes/cloud_bridge/acks';
import { BridgeStore } from '../../../nodes/cloud_bridge/store';
import { OutboxSender } from '../../../nodes/cloud_bridge/sender';

const dir = mkdtempSync(join(tmpdir(), 'kizuna-acks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ack = (o: Record<string, unknown>): Buffer =>
  Buffer.from(JSON.stringify({ v: '1.2', robotId: 'care-007', epoch: 'e1', seq: 3, at: 1, ...o }));
const expectation = { robotId: 'care-007', epoch: 'e1', lastSeq: 10 };

describe('end-to-end acknowledgements of events', () => {
  it('accepts an ack of this robot and epoch up to the last seq sent, and names why it ignores any other', () => {
    expect(judgeAck(ack({}), false, expectation)).toEqual({ ok: true, seq: 3 });
    expect(judgeAck(ack({ seq: 0 }), false, expectation)).toEqual({ ok: true, seq: 0 });
    const reason = (payload: Buffer, retained = false): string | undefined => {
      const v = judgeAck(payload, retained, expectation);
      return v.ok ? undefined : v.reason;
    };
    expect(reason(ack({}), true)).toBe('RETAINED');
    expect(reason(Buffer.from('{'))).toBe('NOT_JSON');
    expect(reason(ack({ seq: -1 }))).toBe('SCHEMA_INVALID');
    expect(reason(ack({ extra: 1 }))).toBe('SCHEMA_INVALID');
    expect(reason(ack({ seq: 2.5 }))).toBe('SCHEMA_INVALID');
    expect(reason(ack({ robotId: 'care-008' }))).toBe('WRONG_ROBOT');
    expect(reason(ack({ epoch: 'e0' }))).toBe('OTHER_EPOCH');
    expect(reason(ack({ seq: 11 }))).toBe('BEYOND_LAST_SEQ');
  });

  it('sees a receiver stuck below seqs the outbox no longer holds, and only then', () => {
    expect(receiverStuck(4, 4, 5, 9)).toBe(false); // waiting for 5, which is held: it will be sent again
    expect(receiverStuck(4, 4, 7, 9)).toBe(true); // 5 and 6 are gone
    expect(receiverStuck(9, 4, undefined, 9)).toBe(false); // has everything
    expect(receiverStuck(6, 4, undefined, 9)).toBe(true); // 7..9 gone
    expect(receiverStuck(3, 4, 7, 9)).toBe(false); // a stale ack (out of order): says nothing
  });

  it('removes what an ack covers and, when the receiver waits for dropped seqs, declares a floor once per ack', () => {
    const store = new BridgeStore(join(dir, 'a.sqlite'), {
      robotId: 'care-007',
      synchronous: 'normal',
      softMaxMessages: 2,
      maxMessages: 100,
      maxBytes: 1 << 20,
    });
    const sender = new OutboxSender(store, { maxInflight: 10, ratePerSec: 100, burst: 100 });
    let floors = 0;
    const errors: string[] = [];
    const inbox = new AckInbox({
      store,
      sender,
      robotId: 'care-007',
      now: () => 0,
      declareFloor: () => floors++,
      pump: () => undefined,
      debug: () => undefined,
      error: (t) => errors.push(t),
    });
    for (let i = 0; i < 2; i++) store.enqueueEvent('e', 'event', i, (s) => Buffer.from(String(s)));
    for (let i = 0; i < 2; i++) store.enqueueEvent('e', 'telemetry', i, (s) => Buffer.from(String(s)));
    store.enqueueEvent('e', 'event', 9, (s) => Buffer.from(String(s)));
    // Soft cap 2: telemetry 3 and 4 dropped; 1, 2, 5 held.
    expect(store.peek(0, 10).map((r) => r.seq)).toEqual([1, 2, 5]);
    const a = (seq: number, epoch = store.epoch): Buffer =>
      Buffer.from(JSON.stringify({ v: '1.2', robotId: 'care-007', epoch, seq, at: 1 }));
    inbox.handle(a(1), false);
    expect([store.depth, floors]).toEqual([2, 0]);
    inbox.handle(a(2), false); // the receiver now waits for 3, which will never come
    inbox.handle(a(2), false); // the same ack again (e.g. on a duplicate): no second floor
    expect([store.depth, floors, store.ackedSeq]).toEqual([1, 1, 2]);
    inbox.handle(a(5, 'older-outbox'), false);
    inbox.handle(a(6), false);
    expect([store.depth, inbox.applied, inbox.ignored]).toEqual([1, 3, 2]);
    expect(errors).toEqual([expect.stringMatching(/^KZ_ERR_BRIDGE_ACK_INVALID: .*BEYOND_LAST_SEQ/)]);
    store.close();
  });
});

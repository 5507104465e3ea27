/**
 * A slow Foxglove client (one that stops reading its socket) against the live server: its bounded queue
 * drops the oldest message data and counts every drop, the newest messages still reach it once it reads
 * again, a fast client beside it gets everything, and the writer (the sim) is never held back: every
 * write completes while the slow client reads nothing.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { FoxgloveClient } from '@foxglove/ws-protocol';
import WebSocket from 'ws';
import { loadScenario } from '../../sim/scenario';
import { FoxgloveLive } from '../../sim/foxglove/server';
import { SimStream } from '../../sim/recording/stream';

const root = join(__dirname, '..', '..');
const TOPIC = '/delivery1/scan';
const N = 600;
const PAYLOAD = 64 * 1024;
const QUEUE = 50;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A client speaking the protocol by hand: subscribes to TOPIC, records the seq of each message data frame. */
function rawClient(url: string): { ws: WebSocket; seqs: number[]; subscribed: Promise<void> } {
  const ws = new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
  const seqs: number[] = [];
  const subscribed = new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        const m = JSON.parse(data.toString()) as { op: string; channels?: Array<{ id: number; topic: string }> };
        const ch = m.op === 'advertise' ? m.channels!.find((c) => c.topic === TOPIC) : undefined;
        if (ch) {
          ws.send(JSON.stringify({ op: 'subscribe', subscriptions: [{ id: 7, channelId: ch.id }] }));
          resolve();
        }
        return;
      }
      // message data: opcode 1, subscription id (u32), timestamp (u64), payload
      if (data[0] === 1) seqs.push(data.readUInt32LE(13));
    });
  });
  return { ws, seqs, subscribed };
}

describe('kizuna sim --foxglove with a slow client', () => {
  let live: FoxgloveLive | undefined;
  afterAll(async () => live?.close());

  it('drops its oldest messages and counts them, keeps the newest, and holds back neither the sim nor a fast client', async () => {
    const stream = new SimStream(loadScenario(join(root, 'sim', 'scenarios', 'obstacle-stop.yaml')));
    const channel = stream.channelOf(TOPIC)!;
    live = await FoxgloveLive.start(stream, { host: '127.0.0.1', port: 0, queueMessages: QUEUE, queueBytes: 64 << 20 });
    const fast = rawClient(live.url);
    const slow = rawClient(live.url);
    await Promise.all([fast.subscribed, slow.subscribed]);
    for (let i = 0; i < 100 && !live.watched; i++) await sleep(10);
    await sleep(100);
    // the slow client stops reading: its socket, then its queue, fill up
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    for (let seq = 0; seq < N; seq++) {
      const data = new Uint8Array(PAYLOAD);
      new DataView(data.buffer).setUint32(0, seq, true);
      await live.write([{ channel, timeNs: BigInt(seq) * 10_000_000n, data }]);
      if (seq % 20 === 0) await sleep(1); // the fast client reads as it goes
    }
    // every write completed while the slow client read nothing: the sim was not held back
    const droppedWhilePaused = live.dropped;
    expect(droppedWhilePaused).toBeGreaterThan(0);
    for (let i = 0; i < 500 && fast.seqs.length < N; i++) await sleep(10);
    expect(fast.seqs).toEqual(Array.from({ length: N }, (_, i) => i));

    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    let last = -1;
    for (let i = 0; i < 500; i++) {
      await sleep(20);
      if (slow.seqs.length === last && slow.seqs[slow.seqs.length - 1] === N - 1) break;
      last = slow.seqs.length;
    }
    // every message was either delivered or dropped and counted
    expect(slow.seqs.length + live.dropped).toBe(N);
    expect(live.dropped).toBe(droppedWhilePaused);
    // in order, none twice, the newest delivered: what was dropped was older
    for (let i = 1; i < slow.seqs.length; i++) expect(slow.seqs[i]!).toBeGreaterThan(slow.seqs[i - 1]!);
    expect(slow.seqs.slice(-QUEUE)).toEqual(Array.from({ length: QUEUE }, (_, i) => N - QUEUE + i));
    const firstGap = slow.seqs.findIndex((s, i) => s !== i);
    expect(firstGap).toBeGreaterThan(0);
    expect(firstGap).toBeLessThan(N - QUEUE);
    fast.ws.close();
    slow.ws.close();
  }, 60_000);
});

/**
 * The outage experiment: a long link outage compressed in time. The bridge's clock is real, so the
 * outage is real too: its link proxy is cut while `hours` of a robot's outbox traffic at the assumed
 * rates (an event every `eventPeriodS`, a telemetry message, decision_progress, every `telemetryPeriodS`)
 * are produced as fast as the bridge takes them. Then the link returns and the backlog drains. Counted
 * at the far end: every event arrives (or a loss event counts it), telemetry is dropped oldest first,
 * the store on disk (file + WAL + shm, sampled every 100 ms) stays within outbox_max_bytes + the store's
 * allowance (1 MiB: WAL and shared memory) and gives its pages back once the outbox is empty, the drain
 * runs at outbox_rate_per_s, and a live event and live state get through during the drain.
 */
import { join } from 'node:path';
import type { TestBroker } from '../../test/helpers/brokers';
import { STORE_DISK_ALLOWANCE_BYTES } from '../../nodes/cloud_bridge/store';
import { Producer, check, openRig, sleep, storeBytes, waitFor, type Check } from './common';

export interface OutageOptions {
  /** [h] outage length represented. */
  hours: number;
  /** [s] one event per this much robot time. */
  eventPeriodS: number;
  /** [s] one telemetry message per this much robot time. */
  telemetryPeriodS: number;
  /** Outbox parameters (the bridge's defaults where not given). */
  outbox: Partial<
    Record<'outbox_max_bytes' | 'outbox_max_messages' | 'outbox_soft_max_messages' | 'outbox_rate_per_s', number>
  >;
}

const DEFAULTS = {
  outbox_max_bytes: 67108864,
  outbox_max_messages: 100000,
  outbox_soft_max_messages: 50000,
  outbox_rate_per_s: 200,
};

export async function outage(
  broker: TestBroker,
  o: OutageOptions,
): Promise<Record<string, unknown> & { pass: boolean }> {
  const outbox = { ...DEFAULTS, ...o.outbox };
  const { dir, far, proxy, robot, close } = await openRig(broker, 'care-24h', outbox);
  const store = join(dir, 'bridge.sqlite');
  const prod = new Producer(robot);
  try {
    await robot.connected();
    prod.event('warmup');
    await prod.flush();
    await waitFor(() => far.firstById().has('warmup'), 10_000);
    let maxDisk = storeBytes(store);
    const sampler = setInterval(() => (maxDisk = Math.max(maxDisk, storeBytes(store))), 100);
    proxy.cut();
    await waitFor(() => !robot.bridge.link.connected, 5000);
    const seqBefore = robot.bridge.store.lastSeq;
    const robotSeconds = o.hours * 3600;
    let events = 0;
    let telemetry = 0;
    const t0 = Date.now();
    const ticks = Math.round(robotSeconds / o.telemetryPeriodS);
    const perEvent = Math.max(1, Math.round(o.eventPeriodS / o.telemetryPeriodS));
    for (let i = 0; i < ticks; i++) {
      prod.telemetry();
      telemetry++;
      if (i % perEvent === perEvent - 1) {
        prod.event(`e${events++}`);
      }
      if (i % 4 === 3) await prod.flush();
    }
    await prod.flush();
    const produceS = (Date.now() - t0) / 1000;
    await sleep(300);
    const diskAtRestore = storeBytes(store);
    maxDisk = Math.max(maxDisk, diskAtRestore);
    const backlog = robot.bridge.store.depth;
    const backlogBytes = robot.bridge.store.depthBytes;
    const lastSeq = robot.bridge.store.lastSeq;
    // The link returns: the backlog drains; a live event goes in once the drain is under way.
    const restoredMs = Date.now();
    const statesBefore = far.states.length;
    proxy.restore();
    await waitFor(() => far.events.some((e) => e.atMs >= restoredMs && e.seq > seqBefore), 30_000);
    await sleep(1000);
    const aheadOfLive = robot.bridge.store.depth;
    const liveAt = Date.now();
    prod.event('live');
    await prod.flush();
    const drainBudgetMs = ((backlog + 10) / outbox.outbox_rate_per_s) * 2000 + 30_000;
    const drained = await waitFor(() => robot.bridge.store.depth === 0 && far.firstById().has('live'), drainBudgetMs);
    await sleep(500);
    clearInterval(sampler);
    maxDisk = Math.max(maxDisk, storeBytes(store));
    const afterDrainDisk = storeBytes(store);
    const drainEndMs = Date.now();
    const firsts = far.firstById();
    const lostEvents = Array.from({ length: events }, (_, i) => `e${i}`).filter((id) => !firsts.has(id));
    const arrivedSeqs = new Set(far.events.map((e) => e.seq));
    const missing: number[] = [];
    for (let s = seqBefore + 1; s <= lastSeq; s++) if (!arrivedSeqs.has(s)) missing.push(s);
    const teleArrived = far.events.filter((e) => e.type === 'decision_progress' && e.seq > seqBefore).map((e) => e.seq);
    const minTeleArrived = teleArrived.length ? Math.min(...teleArrived) : Infinity;
    const maxMissing = missing.length ? Math.max(...missing) : 0;
    const loss = far.events.filter((e) => e.type === 'loss');
    const lossCount = (k: string): number => loss.reduce((a, e) => a + Number(e.json[k] ?? 0), 0);
    const backlogArrivals = far.events.filter((e) => e.atMs >= restoredMs && e.seq > seqBefore && e.seq <= lastSeq);
    const drainS = backlogArrivals.length > 1 ? (backlogArrivals.at(-1)!.atMs - backlogArrivals[0]!.atMs) / 1000 : 0;
    // The sender starts with a full token bucket (min(rate, 1000) messages): the steady rate is the rest.
    const burst = Math.min(outbox.outbox_rate_per_s, 1000);
    const drainRate = drainS > 0 ? Math.max(0, backlogArrivals.length - 1 - burst) / drainS : 0;
    const live = firsts.get('live');
    const liveLatencyS = live ? (live.atMs - liveAt) / 1000 : Infinity;
    const liveBoundS = (aheadOfLive / outbox.outbox_rate_per_s) * 1.3 + 2;
    const drainStates = far.states.slice(statesBefore).filter((t) => t >= restoredMs && t <= drainEndMs);
    let maxStateGapS = 0;
    for (let i = 1; i < drainStates.length; i++)
      maxStateGapS = Math.max(maxStateGapS, (drainStates[i]! - drainStates[i - 1]!) / 1000);
    const order = far.order();
    const checks: Record<string, Check> = {
      diskBytesMax: check(
        maxDisk,
        `<= outbox_max_bytes ${outbox.outbox_max_bytes} + ${STORE_DISK_ALLOWANCE_BYTES} (WAL, shm)`,
        maxDisk <= outbox.outbox_max_bytes + STORE_DISK_ALLOWANCE_BYTES,
      ),
      diskBytesAfterDrain: check(
        afterDrainDisk,
        `<= 256 KiB (the emptied outbox gives its pages back)`,
        afterDrainDisk <= 256 * 1024,
      ),
      eventsLost: check(
        lostEvents.length,
        lostEvents.length === 0 ? '0' : `= loss events' droppedEvents ${lossCount('droppedEvents')}`,
        lostEvents.length === lossCount('droppedEvents'),
      ),
      telemetryDroppedNotOldestFirst: check(
        maxMissing > minTeleArrived ? 1 : 0,
        '0 (every telemetry seq dropped is below every one delivered)',
        maxMissing < minTeleArrived,
      ),
      seqsMissingVsLossEvents: check(
        missing.length,
        `= loss events' dropped counts ${lossCount('droppedEvents') + lossCount('droppedTelemetry')}`,
        missing.length === lossCount('droppedEvents') + lossCount('droppedTelemetry'),
      ),
      firstArrivalsOutOfOrder: check(order.outOfOrder, '0', order.outOfOrder === 0),
      drainRatePerS: check(
        Math.round(drainRate),
        `within 50..110 % of outbox_rate_per_s ${outbox.outbox_rate_per_s} (after the first ${burst}, the sender's burst)`,
        (backlogArrivals.length <= burst * 1.5 || drainRate >= outbox.outbox_rate_per_s * 0.5) &&
          drainRate <= outbox.outbox_rate_per_s * 1.1,
      ),
      liveEventLatencyS: check(
        Math.round(liveLatencyS * 100) / 100,
        `<= ${liveBoundS.toFixed(1)} s (${aheadOfLive} messages ahead at the rate, +30 %, +2 s)`,
        liveLatencyS <= liveBoundS,
      ),
      liveStateMaxGapDuringDrainS: check(
        Math.round(maxStateGapS * 100) / 100,
        '<= 3 s (state_period_s 1 s)',
        drainStates.length > 1 && maxStateGapS <= 3,
      ),
      drained: check(drained ? 1 : 0, '1 (outbox empty, live event arrived)', drained),
    };
    return {
      experiment: 'outage: link cut while hours of outbox traffic are produced, then restored',
      broker: broker.kind,
      hoursRepresented: o.hours,
      produced: { events, telemetry, wallS: Math.round(produceS * 10) / 10 },
      outbox,
      backlogAtRestore: { messages: backlog, payloadBytes: backlogBytes },
      diskBytesAtRestore: diskAtRestore,
      lossEvents: loss.map((e) => ({
        droppedEvents: e.json.droppedEvents,
        droppedTelemetry: e.json.droppedTelemetry,
        droppedBytes: e.json.droppedBytes,
      })),
      seqsMissing: missing.length,
      duplicates: order.duplicates,
      drainS: Math.round(drainS * 10) / 10,
      checks,
      pass: Object.values(checks).every((c) => c.pass),
    };
  } finally {
    await close();
  }
}

/**
 * The flapping experiment: the bridge's link proxy (sim/link-proxy.ts) is cut and restored every
 * `periodS` for `durationS` while events are produced at `eventsPerS` (times jittered by the seed).
 * Then the link stays up until the outbox is empty. Counted at the far end: every event arrives, first
 * arrivals in seq order, duplicates counted (resends after a cut, flagged by seq).
 */
import type { TestBroker } from '../../test/helpers/brokers';
import { Producer, check, openRig, rng, sleep, waitFor, type Check } from './common';

export interface FlapOptions {
  durationS: number;
  periodS: number;
  eventsPerS: number;
  seed: number;
}

export async function flap(broker: TestBroker, o: FlapOptions): Promise<Record<string, unknown> & { pass: boolean }> {
  const { far, proxy, robot, close } = await openRig(broker, 'care-flap');
  const prod = new Producer(robot);
  const random = rng(o.seed);
  try {
    await robot.connected();
    const t0 = Date.now();
    let cuts = 0;
    const toggler = setInterval(() => {
      if (proxy.up) {
        proxy.cut();
        cuts++;
      } else proxy.restore();
    }, o.periodS * 1000);
    let n = 0;
    while (Date.now() - t0 < o.durationS * 1000) {
      prod.event(`f${n++}`);
      await prod.flush();
      await sleep((2 * random() * 1000) / o.eventsPerS);
    }
    clearInterval(toggler);
    proxy.restore();
    const drained = await waitFor(
      () => robot.bridge.store.depth === 0 && far.firstById().size >= n,
      60_000 + (n / robot.bridge.params.outbox_rate_per_s) * 1000,
    );
    await sleep(500);
    const firsts = far.firstById();
    const lost = Array.from({ length: n }, (_, i) => `f${i}`).filter((id) => !firsts.has(id));
    const order = far.order();
    const loss = far.events.filter((e) => e.type === 'loss');
    const checks: Record<string, Check> = {
      eventsLost: check(lost.length, '0', lost.length === 0),
      firstArrivalsOutOfOrder: check(order.outOfOrder, '0', order.outOfOrder === 0),
      lossEvents: check(loss.length, '0 (nothing dropped)', loss.length === 0),
      drained: check(drained ? 1 : 0, '1', drained),
    };
    return {
      experiment: `flap: link cut and restored every ${o.periodS} s for ${o.durationS} s`,
      broker: broker.kind,
      seed: o.seed,
      cuts,
      connects: robot.bridge.link.connects,
      eventsProduced: n,
      eventsArrived: firsts.size,
      duplicates: order.duplicates,
      lostSample: lost.slice(0, 10),
      checks,
      pass: Object.values(checks).every((c) => c.pass),
    };
  } finally {
    await close();
  }
}

/**
 * The shard's e-stop input as the safety gate sees it: a press shorter than a world step and than the
 * report period still reaches the robot's `estop` topic as true, faults land on their own world step
 * (not on the runner's 0.1 s chunk), `estop_rate_hz` sets the report rate, and a dropped-out e-stop is
 * silent (so the gate's e-stop watchdog is exercised). A real shard: World, in-process graph, the five
 * real nodes, an embedded broker.
 */
import { describe, it, expect, afterAll, beforeAll } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBroker } from '../../../sim/fleet/broker';
import { chunkEnd } from '../../../sim/fleet/run';
import { SimShard } from '../../../sim/fleet/shard';
import { faultTimeline, parseScenario, type Scenario } from '../../../sim/scenario';
import { newPlannerKey, trustedKeysJson } from '../../../sim/planner/decisions';
import { writeFileSync } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'kizuna-shard-estop-'));
let broker: EmbeddedBroker;
beforeAll(async () => {
  broker = await EmbeddedBroker.start();
  writeFileSync(join(dir, 'keys.json'), trustedKeysJson(newPlannerKey('t')));
});
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

function scenario(extra: { estop_rate_hz?: number; faults: unknown[] }): Scenario {
  return parseScenario({
    name: 'estop-probe',
    duration_s: 6,
    dt_s: 0.05,
    world: {
      walls: [
        {
          id: 'box',
          points: [
            [-3, -3],
            [3, -3],
            [3, 3],
            [-3, 3],
          ],
          closed: true,
        },
      ],
    },
    robots: [
      {
        id: 'r1',
        profile: 'delivery',
        start: { x: 0, y: 0, yaw: 0 },
        ...(extra.estop_rate_hz ? { estop_rate_hz: extra.estop_rate_hz } : {}),
      },
    ],
    faults: extra.faults,
    planner: { mode: 'none' },
  });
}

/** Runs the shard through the scenario as the runner does (chunks ending at fault times); returns e-stop messages. */
async function run(s: Scenario): Promise<Array<{ t: number; pressed: boolean }>> {
  const shard = await SimShard.create({
    shardIndex: 0,
    scenario: s,
    robotIds: ['r1'],
    fleet: 'test',
    brokers: [{ host: '127.0.0.1', port: broker.port }],
    mqttVersion: 4,
    trustedKeysFile: join(dir, 'keys.json'),
    storeDir: join(dir, `store-${Math.random().toString(36).slice(2)}`),
    logLevel: 'error',
  });
  const seen: Array<{ t: number; pressed: boolean }> = [];
  const probe = shard.graph.createNode('probe');
  probe.createSubscription(
    'std_msgs/msg/Bool',
    '/r1/estop',
    (m) => seen.push({ t: Math.round(shard.world.time * 1000) / 1000, pressed: m.data }),
    { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 10 },
  );
  try {
    const faults = faultTimeline(s);
    let next = 0;
    let t = 0;
    while (t < s.duration_s - 1e-9) {
      while (next < faults.length && faults[next]!.at_s <= t + 1e-9) await shard.fault(faults[next++]!);
      const until = chunkEnd(t, 0.1, s.dt_s, s.duration_s, faults[next]?.at_s ?? Infinity);
      await shard.step(until);
      t = until;
    }
  } finally {
    await shard.close();
  }
  return seen;
}

describe('the simulated e-stop input', () => {
  it('a 40 ms press between two reports (and inside one 50 ms world step) reaches the estop topic as true, then false', async () => {
    const seen = await run(
      scenario({
        faults: [
          { at_s: 2.01, kind: 'estop_press', robot: 'r1' },
          { at_s: 2.05, kind: 'estop_release', robot: 'r1' },
        ],
      }),
    );
    const pressed = seen.filter((x) => x.pressed);
    expect(pressed.length).toBeGreaterThanOrEqual(1);
    // On the step the press falls in, not on a 0.1 s chunk boundary.
    expect(pressed[0]!.t).toBeGreaterThanOrEqual(2.0);
    expect(pressed[0]!.t).toBeLessThanOrEqual(2.05 + 1e-9);
    // The release follows it, and nothing after says pressed.
    const after = seen.filter((x) => x.t > pressed[pressed.length - 1]!.t);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((x) => !x.pressed)).toBe(true);
  }, 30_000);

  it('reports at the robot’s estop_rate_hz, and not at all while the e-stop input is dropped out', async () => {
    const seen = await run(
      scenario({
        estop_rate_hz: 4,
        faults: [{ at_s: 2, kind: 'sensor_dropout', robot: 'r1', sensor: 'estop', duration_s: 2 }],
      }),
    );
    const before = seen.filter((x) => x.t > 0 && x.t <= 2);
    // 4 Hz over 2 s: 8 reports (not the old fixed 10 Hz, 20).
    expect(before.length).toBeGreaterThanOrEqual(7);
    expect(before.length).toBeLessThanOrEqual(9);
    expect(seen.filter((x) => x.t > 2 + 1e-9 && x.t < 4 - 1e-9)).toEqual([]);
    expect(seen.filter((x) => x.t >= 4.25).length).toBeGreaterThanOrEqual(6);
  }, 30_000);
});

describe('chunkEnd', () => {
  it('ends a chunk on the first world step at or after the next fault, never later', () => {
    expect(chunkEnd(2, 0.1, 0.05, 60, Infinity)).toBeCloseTo(2.1, 9);
    expect(chunkEnd(2, 0.1, 0.05, 60, 2.01)).toBeCloseTo(2.05, 9);
    expect(chunkEnd(2, 0.1, 0.02, 60, 2.04)).toBeCloseTo(2.04, 9);
    expect(chunkEnd(2, 0.1, 0.05, 2.03, Infinity)).toBeCloseTo(2.03, 9);
    // A fault already due does not shorten the chunk below one step.
    expect(chunkEnd(2, 0.1, 0.05, 60, 2)).toBeCloseTo(2.1, 9);
  });
});

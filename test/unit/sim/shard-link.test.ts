/**
 * A link the broker refuses, as the sim reports it: the refusal by CONNACK code and reason in the
 * shard's progress (the line `kizuna sim` prints) and in the robot's report, and the link down for the
 * whole run (not the "longest outage 0.0 s" of a link that never came up). The embedded aedes speaks
 * only MQTT 3.1.1: robots told to speak 5 are refused with return code 1. The whole sim run refusing
 * at its start, with and without --mqtt-version, is at the end.
 */
import { describe, it, expect, afterAll, beforeAll } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBroker } from '../../../sim/fleet/broker';
import { SimShard, STARTUP_GRACE_S } from '../../../sim/fleet/shard';

// The run below (8 s) outlasts the start-up grace: a link still down then counts from 0.
const RUN_S = Math.max(8, STARTUP_GRACE_S + 3);
import { runSim } from '../../../sim/fleet/run';
import { parseScenario, type Scenario } from '../../../sim/scenario';
import { newPlannerKey, trustedKeysJson } from '../../../sim/planner/decisions';
import { linkErrorKey, summaryText } from '../../../sim/report/report';

const dir = mkdtempSync(join(tmpdir(), 'kizuna-shard-link-'));
let broker: EmbeddedBroker;
beforeAll(async () => {
  broker = await EmbeddedBroker.start();
  writeFileSync(join(dir, 'keys.json'), trustedKeysJson(newPlannerKey('t')));
});
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

const scenario = (durationS: number): Scenario =>
  parseScenario({
    name: 'link-probe',
    duration_s: durationS,
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
    robots: [{ id: 'r1', profile: 'delivery', start: { x: 0, y: 0, yaw: 0 } }],
    planner: { mode: 'none' },
  });

describe('a link the broker refuses', () => {
  it('names the refusal in the progress and the report, and counts the whole run as down', async () => {
    const s = scenario(RUN_S);
    const shard = await SimShard.create({
      shardIndex: 0,
      scenario: s,
      robotIds: ['r1'],
      fleet: 'test',
      brokers: [{ host: '127.0.0.1', port: broker.port }],
      mqttVersion: 5,
      trustedKeysFile: join(dir, 'keys.json'),
      storeDir: join(dir, 'store-refused'),
      logLevel: 'error',
    });
    try {
      let p = await shard.step(1);
      const deadline = Date.now() + 10_000;
      while (!p.linkError && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        p = shard.progress();
      }
      expect(p.linksUp).toBe(0);
      expect(linkErrorKey(p.linkError)).toBe('CONNACK refused 0x01 unacceptable protocol version');
      for (let t = 1.1; t <= RUN_S + 1e-9; t += 0.1) await shard.step(Math.min(RUN_S, t));
      await shard.settle();
      const r = shard.report().robots[0]!;
      expect(r.bridge.everConnected).toBe(false);
      expect(r.bridge.refusal).toEqual({ code: 1, reason: 'unacceptable protocol version' });
      expect(r.bridge.lastError).toMatch(/CONNACK refused 0x01/);
      expect(r.linkDownS).toBeCloseTo(RUN_S, 1);
      expect(r.longestLinkOutageS).toBeCloseTo(RUN_S, 1);
    } finally {
      await shard.close();
    }
  }, 30_000);

  it('kizuna sim against a 3.1.1-only broker: probed, it speaks 3.1.1; forced to 5, it stops naming the refusal', async () => {
    // The embedded broker stands in for an outside 3.1.1-only broker (as NATS's MQTT gateway is).
    const { report } = await runSim({ scenario: scenario(2), source: 'link-probe', brokerUrl: broker.url, speed: 0 });
    expect(report.broker).toMatchObject({ kind: 'external', mqttVersion: 4, mqttVersionFrom: 'probe' });
    expect(report.broker.note).toMatch(/MQTT 5 not accepted \(CONNACK refused 0x01 unacceptable protocol version\)/);
    expect(report.metrics.link.neverConnected).toBe(0);
    expect(summaryText(report)).not.toMatch(/links never up/);

    await expect(
      runSim({ scenario: scenario(2), source: 'link-probe', brokerUrl: broker.url, mqttVersion: 5, speed: 0 }),
    ).rejects.toThrow(/refused the planner: CONNACK refused 0x01 unacceptable protocol version/);
  }, 40_000);
});

/**
 * The fleet on a real clustered broker with a node killed mid-run (kill -9), nothing lost:
 * - Apache ActiveMQ Artemis 2.40.0, a primary + replicated backup pair, MQTT 5: robots list both URLs
 *   (each starting at the one its id hashes to; the standby backup refuses until it takes over), the
 *   planner reads requests on a shared subscription; the primary dies at sim 8 s and comes back at
 *   16 s as the backup of the node that took over.
 * - NATS 2.15.3, three nodes with JetStream (stream_replicas 3) and the MQTT gateway, MQTT 3.1.1 only:
 *   the sim is not told the version, it probes and speaks 3.1.1; robots in two worker-thread shards;
 *   the first node dies.
 * Counted by the national side (the planner's books, contract 1.2 end-to-end acks): every event each
 * robot numbered reached it, every robot is connected at the end, decision round trips went on after
 * the kill. Engines come from `npm run broker:cluster` (cached; the tests run offline): when missing,
 * the tests fail under CI=true and skip elsewhere with the reason printed.
 */
import { describe, it, expect, afterEach } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../sim/scenario';
import { runSim, type FleetProgress } from '../../sim/fleet/run';
import { adjustScenario } from '../../sim/fleet/scale';
import { ArtemisPair, artemisMissing } from '../../scripts/lib/brokers/artemis';
import { NatsCluster, natsMissing } from '../../scripts/lib/brokers/nats';
import { brokerCacheDir, portOpen } from '../../scripts/lib/brokers/common';

const fleetScenario = join(__dirname, '..', '..', 'sim', 'scenarios', 'fleet.yaml');
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

/** `it` when the engine is there, or under CI (where its absence fails the test); else a skip with the reason. */
function engineTest(missing: string | undefined): typeof it.skip {
  if (!missing || process.env.CI === 'true') return it;
  process.stderr.write(`sim-broker-cluster: skipped: ${missing}\n`);
  return it.skip;
}

/** What the run looked like around the kill (from the progress lines, wall clock). */
interface KillWatch {
  killedAtWallMs?: number;
  roundTripsAtKill?: number;
  acceptedAtKill?: number;
  /** [ms] from the kill to every link up again. */
  allUpAfterMs?: number;
}

function watchKill(atSimS: number, kill: () => Promise<void>, w: KillWatch): (p: FleetProgress) => void {
  return (p) => {
    if (w.killedAtWallMs === undefined && p.t >= atSimS) {
      w.killedAtWallMs = Date.now();
      w.roundTripsAtKill = p.roundTrips;
      w.acceptedAtKill = p.accepted;
      void kill();
    } else if (
      w.killedAtWallMs !== undefined &&
      w.allUpAfterMs === undefined &&
      p.linksUp === p.robots &&
      Date.now() - w.killedAtWallMs > 300
    ) {
      w.allUpAfterMs = Date.now() - w.killedAtWallMs;
    }
  };
}

describe('the fleet on a clustered broker, a node killed mid-run', () => {
  const cache = brokerCacheDir();

  engineTest(artemisMissing(cache))(
    'Artemis primary + replicated backup (MQTT 5, shared subscription): kill -9 of the primary loses no event, every robot fails over, round trips go on, the old primary returns as backup',
    async () => {
      const missing = artemisMissing(cache);
      if (missing) throw new Error(`CI=true and the Artemis test cannot run: ${missing}`);
      const dir = mkdtempSync(join(tmpdir(), 'kizuna-artemis-test-'));
      const pair = await ArtemisPair.create({ dir, cache });
      cleanup.push(() => pair.close(dir));
      await pair.start();
      const memory = pair.memoryMB();
      const [primary, backup] = pair.nodes;
      const scenario = adjustScenario(loadScenario(fleetScenario), { robots: 5, durationS: 36 }, 'fleet');
      const w: KillWatch = {};
      const onKill = watchKill(8, () => pair.kill9(primary), w);
      // Then the old primary back, mid-run: it must come up as the backup of the node that took over.
      let back: Promise<void> | undefined;
      const { report } = await runSim({
        scenario,
        source: 'fleet',
        brokerUrl: pair.urls.join(','),
        speed: 1,
        drainTimeoutS: 30,
        onProgress: (p) => {
          onKill(p);
          if (!back && p.t >= 16 && w.allUpAfterMs !== undefined) back = pair.restart(primary);
        },
      });
      expect(back).toBeDefined();
      await back;
      const m = report.metrics;
      process.stderr.write(
        `artemis: failover (kill -9 to every link up) ${w.allUpAfterMs} ms, longest link outage ${m.link.longestOutageS} s, ` +
          `events ${m.events.received}/${m.events.sent} lost ${m.events.lost}, round trips ${m.decisionRoundTripMs.count} ` +
          `(${w.roundTripsAtKill} before the kill), decisions accepted ${m.decisions.accepted} (${w.acceptedAtKill} before), memory ${JSON.stringify(memory)} MB, planner ${JSON.stringify(report.planner)}, link ${JSON.stringify(m.link)}\n`,
      );
      expect(w.killedAtWallMs).toBeDefined();
      expect(report.broker).toMatchObject({ kind: 'external', mqttVersion: 5, mqttVersionFrom: 'probe' });
      expect(report.planner.sharedSubscription).toBe(true);
      // The backup stayed active; the old primary is its replica now (in sync, MQTT acceptor closed).
      expect(await pair.active()).toBe(backup);
      expect(primary.proc?.exitCode).toBeNull();
      expect(await portOpen(primary.mqttPort)).toBe(false);
      // Nothing lost end to end: everything each robot numbered reached the national side.
      expect(m.events.sent).toBeGreaterThan(0);
      expect(m.events.lost).toBe(0);
      expect(m.events.received).toBe(m.events.sent);
      expect(m.events.pendingAtEnd).toBe(0);
      // Every robot was on the primary (the backup refuses until it takes over), lost it and reconnected to the backup.
      for (const r of report.perRobot) {
        expect(r.bridge.connected).toBe(true);
        expect(r.bridge.reconnects).toBeGreaterThanOrEqual(1);
        expect(r.bridge.brokerIndex).toBe(1);
      }
      expect(w.allUpAfterMs).toBeDefined();
      // Decisions kept flowing after the failover: signed by the planner, accepted by robots, acknowledged back.
      expect(m.decisions.accepted).toBeGreaterThan(w.acceptedAtKill!);
      expect(m.collisions).toBe(0);
    },
    150_000,
  );

  engineTest(natsMissing(cache))(
    'NATS 3-node JetStream cluster (MQTT 3.1.1, probed): kill -9 of a node loses no event, every robot is back, round trips go on',
    async () => {
      const missing = natsMissing(cache);
      if (missing) throw new Error(`CI=true and the NATS test cannot run: ${missing}`);
      const dir = mkdtempSync(join(tmpdir(), 'kizuna-nats-test-'));
      const cluster = await NatsCluster.create({ dir, cache });
      cleanup.push(() => cluster.close(dir));
      await cluster.start();
      const memory = cluster.memoryMB();
      const scenario = adjustScenario(loadScenario(fleetScenario), { robots: 5, durationS: 40 }, 'fleet');
      const w: KillWatch = {};
      const victim = cluster.nodes[0]!;
      const { report } = await runSim({
        scenario,
        source: 'fleet',
        brokerUrl: cluster.urls.join(','),
        // Two worker-thread shards: the URL list and the failover cross into the workers.
        workers: 2,
        speed: 1,
        drainTimeoutS: 40,
        onProgress: watchKill(8, () => cluster.kill9(victim), w),
      });
      const m = report.metrics;
      process.stderr.write(
        `nats: kill -9 to every link up ${w.allUpAfterMs} ms, longest link outage ${m.link.longestOutageS} s, ` +
          `events ${m.events.received}/${m.events.sent} lost ${m.events.lost}, round trips ${m.decisionRoundTripMs.count} ` +
          `(${w.roundTripsAtKill} before the kill), decisions accepted ${m.decisions.accepted} (${w.acceptedAtKill} before), memory ${JSON.stringify(memory)} MB, planner ${JSON.stringify(report.planner)}, link ${JSON.stringify(m.link)}\n`,
      );
      expect(report.workers).toBe(2);
      expect(report.broker).toMatchObject({ mqttVersion: 4, mqttVersionFrom: 'probe' });
      expect(report.broker.note).toMatch(/CONNACK refused 0x01 unacceptable protocol version/);
      expect(report.planner.sharedSubscription).toBe(false);
      expect(m.events.sent).toBeGreaterThan(0);
      expect(m.events.lost).toBe(0);
      expect(m.events.received).toBe(m.events.sent);
      expect(m.events.pendingAtEnd).toBe(0);
      for (const r of report.perRobot) {
        expect(r.bridge.connected).toBe(true);
        expect(r.bridge.brokerIndex).not.toBe(0);
      }
      expect(w.allUpAfterMs).toBeDefined();
      expect(m.decisions.accepted).toBeGreaterThan(w.acceptedAtKill!);
      expect(m.collisions).toBe(0);
    },
    150_000,
  );
});

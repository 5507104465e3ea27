/**
 * `kizuna sim --planner-only`: the reference planner of a fleet run whose robots run in other processes
 * (`--shard K/N`, sim/fleet/parts.ts). It writes the public half of its signing key for the robot parts
 * (`--trusted-keys`), announces sim time 0 on the broker, answers requests and acknowledges events on
 * the sim clock every part keeps from that instant, injects the scenario's forged decisions, and stays
 * up after the last step until every robot part said its outboxes are drained (or the drain time is over).
 */
import { writeFileSync } from 'node:fs';
import { kizunaVersion } from '../../nodes/core/version';
import { KizunaError } from '../../nodes/core/errors';
import { DEFAULT_TOPIC_ROOT } from '../../nodes/core/contract';
import { faultTimeline, type Scenario } from '../scenario';
import { Planner, type PlannerMode } from '../planner/planner';
import { newPlannerKey } from '../planner/decisions';
import type { RunFacts } from '../report/report';
import { probeMqttVersion } from './probe';
import { StartAnnouncer } from './parts';
import { runTrustedKeys, type SimTrustedKey } from './trusted-keys';
import { parseBrokerUrls, plannerBooks, plannerFacts } from './run';

export interface PlannerPartOptions {
  scenario: Scenario;
  source: string;
  /** One mqtt:// URL on loopback, or a cluster's nodes comma-separated. */
  brokerUrl: string;
  mqttVersion?: 4 | 5;
  fleet?: string;
  /** `reference` (default) or `scripted`. */
  mode?: PlannerMode;
  /** Sim seconds per wall second (> 0). Default 1. */
  speed?: number;
  /** Where the trusted keys file for the robot parts goes (`--keys-out`). */
  keysOut: string;
  /** [s] wall time between the announcement and sim time 0, for the parts to start. Default 5. */
  startInS?: number;
  /** [s] wall time after the last step to wait for every robot part's "done". Default 60. */
  drainTimeoutS?: number;
  signal?: AbortSignal;
  /** Called about once per wall second: sim time, robots heard from, requests answered. */
  onProgress?: (p: {
    t: number;
    durationS: number;
    robotsHeard: number;
    robots: number;
    done: number;
    decisionsSent: number;
  }) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the planner part; resolves with its run facts (no robots: those are in the robot parts' files). */
export async function runPlannerPart(o: PlannerPartOptions): Promise<RunFacts> {
  const s = o.scenario;
  const speed = o.speed ?? 1;
  const fleet = o.fleet ?? 'sim';
  const mode = o.mode ?? (s.planner.mode === 'none' ? 'reference' : s.planner.mode);
  if (speed <= 0) {
    throw new KizunaError(
      'KZ_ERR_CLI_USAGE',
      '--planner-only needs a --speed above 0 (the parts keep one wall-clock pace)',
    );
  }
  const nodes = parseBrokerUrls(o.brokerUrl);
  const urls = nodes.map((n) => `mqtt://${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`);
  const mqttVersion = o.mqttVersion ?? (await probeMqttVersion(urls)).version;
  const cpu0 = process.cpuUsage();
  const wallStart = performance.now();
  // not the built-in prefix: the robot parts take this key as an outside one (--trusted-keys)
  const key = newPlannerKey(`planner-part-${Date.now().toString(36)}`);
  const trusted: SimTrustedKey[] = [{ keyId: key.keyId, publicKey: key.publicKeyB64, source: 'planner' }];
  writeFileSync(o.keysOut, JSON.stringify(runTrustedKeys(trusted), null, 2) + '\n');
  let simT = 0;
  const planner = await Planner.start({
    urls,
    mqttVersion,
    root: DEFAULT_TOPIC_ROOT,
    fleet,
    mode,
    scenario: s,
    key,
    simTime: () => simT,
    // a robot's link is its own part's: a link fault is applied there
    setLink: async () => undefined,
  });
  const meet = await StartAnnouncer.open(urls[0]!, mqttVersion, fleet).catch(async (err: unknown) => {
    await planner.close();
    throw err;
  });
  const robots = s.robots.map((r) => r.id);
  try {
    const t0Ms = Date.now() + Math.round((o.startInS ?? 5) * 1000);
    await meet.announce({ t0Ms, scenario: s.name, seed: s.seed, durationS: s.duration_s, speed, robots });
    const injections = faultTimeline(s).filter((f) => f.kind === 'inject_decision');
    const attacks: Array<Promise<void>> = [];
    let next = 0;
    let lastProgress = -Infinity;
    const progress = (): void =>
      o.onProgress?.({
        t: simT,
        durationS: s.duration_s,
        robotsHeard: [...planner.books.values()].filter((b) => b.events.received.size > 0).length,
        robots: robots.length,
        done: robots.filter((id) => meet.done.has(id)).length,
        decisionsSent: planner.decisionsSent,
      });
    await sleep(Math.max(0, t0Ms - Date.now()));
    const step = Math.max(s.dt_s, 0.1);
    while (simT < s.duration_s - 1e-9 && !o.signal?.aborted) {
      while (next < injections.length && injections[next]!.at_s <= simT + 1e-9) {
        const f = injections[next++]!;
        if (f.kind === 'inject_decision') attacks.push(planner.inject(f.robot, f.attack).catch(() => undefined));
      }
      planner.tick(simT);
      const until = Math.min(s.duration_s, simT + step);
      await sleep(Math.max(0, t0Ms + (until / speed) * 1000 - Date.now()));
      simT = until;
      if (performance.now() - lastProgress >= 1000) {
        lastProgress = performance.now();
        progress();
      }
    }
    await Promise.all(attacks);
    // The robots' outboxes drain against this planner's acknowledgements: wait for every part's "done".
    const drain0 = performance.now();
    const limit = (o.drainTimeoutS ?? 60) * 1000;
    while (!robots.every((id) => meet.done.has(id)) && performance.now() - drain0 < limit && !o.signal?.aborted) {
      await sleep(200);
      if (performance.now() - lastProgress >= 1000) {
        lastProgress = performance.now();
        progress();
      }
    }
    progress();
    const cpu = process.cpuUsage(cpu0);
    return {
      scenario: s,
      source: o.source,
      version: kizunaVersion(),
      workers: 0,
      broker: {
        kind: 'external',
        url: urls.join(','),
        mqttVersion,
        mqttVersionFrom: o.mqttVersion ? 'option' : 'probe',
      },
      trustedKeys: trusted,
      planner: plannerFacts(planner, mode, mqttVersion),
      simTimeS: simT,
      wallTimeS: (performance.now() - wallStart) / 1000,
      cpuUserS: cpu.user / 1e6,
      cpuSystemS: cpu.system / 1e6,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      ...plannerBooks(planner),
      shards: [],
      drainS: (performance.now() - drain0) / 1000,
    };
  } finally {
    await meet.close();
    await planner.close();
  }
}

/**
 * What one stolen robot credential's floods cost the national side on the shipped broker
 * (`npm run bench -- --only security`): the delivery latency of a robot's events at the national
 * consumer (p50, p99) with the flood frozen and running, alternating in the same run
 * (test/security/flood.ts), and the broker's memory and CPU:
 * - `#` subscriptions from 300 connections of one credential on the shipped broker (what
 *   test/security/floods.test.ts asserts, here with more samples);
 * - the same flood against the broker without the rules (the thief's role granted `#`, client ids its
 *   own): what the rules prevent;
 * - the same 300 connections with a certificate from another CA (no credential at all): what the TLS
 *   handshakes alone cost, which the broker cannot refuse before they are done;
 * - the credential's own events topic flooded by one connection (32 in flight): not bounded by
 *   mosquitto 2.0, reported without a target.
 */
import { ratioResult, limitResult, type Benchmark, type BenchResult, type Figure } from './harness';
import { ShippedBroker, shippedSkipReason } from '../test/security/harness';
import { latencyUnderFlood, p50p99, type AttackMode, type AttackOptions } from '../test/security/flood';

const PAIRS = Number(process.env.KIZUNA_SECURITY_PAIRS ?? 8);

const fig = (id: string, value: number, unit: string, description: string): Figure => ({
  id,
  value,
  unit,
  description,
});

/** The thief's role also grants `#` and its connections keep their own client ids (the configuration before issue 25). */
const unprotected = {
  config: (text: string): string =>
    text.replace(
      /^use_subject_as_username true\nuse_username_as_clientid true$/m,
      'use_subject_as_username true\nuse_username_as_clientid false',
    ),
  rules: (rules: { roles: Array<{ rolename: string; acls: unknown[] }> }): void => {
    const role = rules.roles.find((r) => r.rolename === 'CN=tokyo-1.care-007');
    if (!role) throw new Error('no role for the thief');
    role.acls.push(
      { acltype: 'subscribePattern', topic: '#', priority: 0, allow: true },
      { acltype: 'publishClientReceive', topic: '#', priority: 0, allow: true },
    );
  },
};

async function flood(
  name: string,
  what: string,
  mode: AttackMode,
  attack: AttackOptions,
  targets: { p50?: number; p99?: number; rssMB?: number },
  log: (line: string) => void,
  weaken?: typeof unprotected,
): Promise<BenchResult[]> {
  const sb = await ShippedBroker.start(weaken);
  try {
    const run = await latencyUnderFlood(sb, mode, { pairs: PAIRS, windowMs: 1000, ...attack });
    const base = p50p99(run.base);
    const fl = p50p99(run.flood);
    const rssMB = (run.rssAfterKiB - run.rssBeforeKiB) / 1024;
    const details = {
      samples: { base: run.base.length, flood: run.flood.length },
      thiefConnections: run.thiefConnections,
      attacker: run.attacker,
      brokerCpuMs: { base: run.brokerCpuBaseMs, flood: run.brokerCpuFloodMs, windowsMs: PAIRS * 1000 },
      brokerRssMB: { before: run.rssBeforeKiB / 1024, after: run.rssAfterKiB / 1024 },
    };
    log(
      `${name}: p50 ${base.p50.toFixed(2)} -> ${fl.p50.toFixed(2)} ms, p99 ${base.p99.toFixed(2)} -> ${fl.p99.toFixed(2)} ms, broker RSS +${rssMB.toFixed(1)} MB, ${JSON.stringify(details)}`,
    );
    const result = (p: 'p50' | 'p99', target: number | undefined): BenchResult => {
      const f = fig(`security.${name}.national_latency.${p}`, fl[p], 'ms', `${what}: ${p} with the flood`);
      const b = fig(`security.${name}.national_latency.${p}.base`, base[p], 'ms', `${p} without it, same run`);
      if (target !== undefined) return ratioResult(f, b, target, details);
      const ratio = b.value === 0 ? Number.POSITIVE_INFINITY : f.value / b.value;
      return { ...f, baseline: b, ratio, details };
    };
    const rss = fig(`security.${name}.broker_rss_growth`, rssMB, 'MB', `${what}: broker resident memory growth`);
    return [
      result('p50', targets.p50),
      result('p99', targets.p99),
      targets.rssMB !== undefined ? limitResult(rss, targets.rssMB) : rss,
    ];
  } finally {
    await sb.close();
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: 'security',
    async run(log) {
      if (shippedSkipReason) {
        log(`skipped: ${shippedSkipReason}`);
        return [];
      }
      const subscribe = { connections: 300, reconnectMs: 1000 };
      return [
        ...(await flood(
          'subscribe_flood',
          '300 connections of one robot credential asking for # (shipped broker)',
          'subscribe',
          subscribe,
          { p50: 2, p99: 5, rssMB: 32 },
          log,
        )),
        ...(await flood(
          'subscribe_flood_unprotected',
          'the same against the broker without the rules (# granted, own client ids)',
          'subscribe',
          subscribe,
          {},
          log,
          unprotected,
        )),
        ...(await flood(
          'handshake_flood_no_credential',
          'the same 300 connections with a certificate from another CA (refused in the handshake)',
          'subscribe',
          { ...subscribe, cert: 'other-client' },
          {},
          log,
        )),
        ...(await flood(
          'publish_flood',
          'one connection of the credential flooding its own events topic (1 KiB, 32 in flight)',
          'publish',
          { bytes: 1024 },
          {},
          log,
        )),
      ];
    },
  },
];

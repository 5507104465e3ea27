/**
 * Runs a scenario end to end: a broker (embedded aedes, or the one given), the reference planner, and
 * the robots — each a full stack of the real kizuna nodes — split into shards. Sim time advances in
 * fixed steps; `speed` paces it against the wall clock (0: as fast as the machine goes). Faults happen
 * at their sim times. After the last step, outboxes get a few wall seconds to drain; then every
 * metric is collected into the report (sim/report/report.ts) and the pass criteria are checked.
 */
import { kizunaVersion } from '../../nodes/core/version';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KizunaError } from '../../nodes/core/errors';
import { planShards } from '../../nodes/core/graph/inprocess/shards';
import { DEFAULT_TOPIC_ROOT } from '../../nodes/core/contract';
import { faultTimeline, PLANNER_KEY_PREFIX, type Scenario, type TimedFault } from '../scenario';
import { Planner, type PlannerMode } from '../planner/planner';
import { newPlannerKey } from '../planner/decisions';
import { buildReport, type RunFacts, type SimReport } from '../report/report';
import { renderSvg } from '../report/svg';
import { EmbeddedBroker } from './broker';
import { acceptsDottedClientId, probeMqttVersion } from './probe';
import { splitBrokerUrls } from '../../nodes/core/broker-urls';
import type { AnnouncementRecord, LinkBytes, ShardProgress, ShardReport } from './shard';
import { startShards, type ShardHandle } from './shards';
import { SimStream } from '../recording/stream';
import { McapSink, type StreamSink } from '../recording/mcap-sink';
import type { TapBatch } from '../recording/tap';
import { NetworkSync, syncNetwork, type RobotFlow } from './sync';
import { announceDone, awaitStart, shardOf, type PartIndex } from './parts';
import { mergeOutsideKeys, runTrustedKeys, scenarioTrustedKeys, type SimTrustedKey } from './trusted-keys';

export interface SimRunOptions {
  scenario: Scenario;
  /** Where the scenario came from (file path or name), for the report. */
  source: string;
  /** External broker: one mqtt:// URL on loopback or a comma-separated list of a cluster's nodes; default: embedded aedes. */
  brokerUrl?: string;
  /** MQTT version towards an external broker: 4 (3.1.1) or 5; default: probed once (5 if accepted). */
  mqttVersion?: 4 | 5;
  /** Overrides the scenario's planner mode. */
  plannerMode?: PlannerMode;
  /** Fleet name (MQTT topic level). Default `sim`. */
  fleet?: string;
  /** Sim seconds per wall second; 0 = as fast as possible. Default 1. */
  speed?: number;
  /**
   * At speed 0, let each step's MQTT messages (requests, decisions, reconnects) land before the next
   * step (sim/fleet/sync.ts). Default true; false runs the network free against the sim clock.
   */
  networkSync?: boolean;
  /** Shards (worker threads). Default: 1 for up to 20 robots, else one per core. */
  workers?: number;
  /** Progress lines (sim time, tasks, decisions, stops, links); called about once per wall second. */
  onProgress?: (p: FleetProgress) => void;
  /** Log level of the nodes. Default `error`. */
  logLevel?: string;
  /** [s] wall time allowed for outboxes to drain (events acknowledged by the planner) at the end. Default 30. */
  drainTimeoutS?: number;
  /** Ends the run early (e.g. on Ctrl-C); the report then covers the sim time reached. */
  signal?: AbortSignal;
  /**
   * Outside public keys every robot trusts besides the built-in planner's (`--trusted-keys`), added to
   * the scenario's `planner.trusted_keys`: an outside national side signs with the private halves.
   */
  trustedKeys?: readonly SimTrustedKey[];
  /** Called once the broker is up and the robots are connecting: where an outside national side connects. */
  onReady?: (r: SimReady) => void;
  /** Records the run into this MCAP file (`--mcap`, the scenario's `recording.mcap`). */
  mcapFile?: string;
  /**
   * A live view (`--foxglove`): started with the run's stream before the robots start; it says
   * whether anyone is subscribed (the shards tap only then) and gets every message.
   */
  live?: (stream: SimStream) => Promise<LiveSink>;
  /** Keep each robot's audit log (cloud_bridge) in `<auditDir>/<robotId>`; otherwise it goes with the run's temp files. */
  auditDir?: string;
  /**
   * Keep each robot's black-box incident files (nodes/black_box) in `<blackBoxDir>/<robotId>`; otherwise
   * they go with the run's temp files (the report still lists the incidents).
   */
  blackBoxDir?: string;
  /**
   * Every robot's cloud_bridge `end_to_end_ack` (`--end-to-end-ack`). Default: `required` with the
   * built-in planner (it acknowledges), `auto` with `none` (an outside side may or may not). An outside
   * national side that acknowledges runs with `required`: events published before its first ack are
   * then kept and sent again until it has them, instead of leaving the outbox on the broker's PUBACK.
   */
  endToEndAck?: 'auto' | 'required' | 'off';
  /**
   * Extra cloud_bridge parameters of every robot, applied last (e.g. `protocol: vda5050` with
   * `allow_unsigned: true`: the robots then speak VDA 5050 to a master control instead of the planner).
   */
  bridgeOverrides?: Record<string, string | number | boolean | number[]>;
  /**
   * Run only part K of N of the robots (`--shard K/N`, sim/fleet/parts.ts): no planner in this process
   * (one `--planner-only` process runs it), sim time 0 at the wall-clock instant the planner announces on
   * the broker, and the part's robots reported done there once their outboxes are drained. Needs
   * `brokerUrl` and a speed above 0.
   */
  part?: PartIndex;
  /** [s] how often each robot's path is sampled for the map (default 0.25; the soak takes fewer). */
  pathPeriodS?: number;
  /** [s] how long a part waits for the planner's start. Default 120. */
  partStartTimeoutS?: number;
}

/** A live view of the stream: a sink that also says whether anyone is watching. */
export interface LiveSink extends StreamSink {
  readonly watched: boolean;
}

/** Where an outside national side finds the run (given to `onReady`). */
export interface SimReady {
  /** mqtt://host:port of the broker the robots use (comma-separated: a cluster's nodes). */
  brokerUrl: string;
  /** MQTT protocol the sim speaks with it: 4 (3.1.1, the embedded aedes) or 5. */
  mqttVersion: 4 | 5;
  /** Topic root and fleet: robots are at `<root>/<fleet>/<robotId>/...`. */
  root: string;
  fleet: string;
  robotIds: string[];
  /** Every key the robots trust (the planner's first). */
  trustedKeys: SimTrustedKey[];
}

/** Progress over all shards. */
export interface FleetProgress extends Omit<ShardProgress, 't' | 'fired'> {
  t: number;
  durationS: number;
  wallS: number;
  brokerUp: boolean;
  injected: number;
  /** [count] decision round trips (request → decision) the planner completed so far. */
  roundTrips: number;
}

/** Host and port of each URL of a comma-separated list (each as {@link parseBrokerUrl}). */
export function parseBrokerUrls(list: string): Array<{ host: string; port: number }> {
  const urls = splitBrokerUrls(list);
  if (urls.length === 0) throw new KizunaError('KZ_ERR_CLI_USAGE', '--broker needs at least one URL');
  const out = urls.map(parseBrokerUrl);
  const keys = out.map((u) => `${u.host}:${u.port}`);
  if (new Set(keys).size !== keys.length) {
    throw new KizunaError('KZ_ERR_CLI_USAGE', `--broker lists a node twice: '${list}'`);
  }
  return out;
}

export interface SimRunResult {
  report: SimReport;
  shards: ShardReport[];
  /** What each robot's link proxy carried in all, counted after its bridge stopped (the report's bytes are from before). */
  links: LinkBytes[];
  /** What the report was built from (a part's part file holds them: sim/fleet/parts.ts). */
  facts: RunFacts;
}

/** Host and port of an mqtt:// URL on this machine; anything else is refused (the sim stays on loopback). */
export function parseBrokerUrl(url: string): { host: string; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new KizunaError('KZ_ERR_CLI_USAGE', `--broker must be a URL like mqtt://127.0.0.1:1883, got '${url}'`);
  }
  if (u.protocol !== 'mqtt:') {
    throw new KizunaError(
      'KZ_ERR_CLI_USAGE',
      `--broker must use mqtt:// (the sim's link proxies speak plain TCP), got '${url}'`,
    );
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    throw new KizunaError(
      'KZ_ERR_CLI_USAGE',
      `--broker must be on this machine (127.0.0.1, ::1 or localhost), got '${host}'`,
    );
  }
  const port = u.port ? Number(u.port) : 1883;
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

async function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(3000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const nodeUrl = (n: { host: string; port: number }): string =>
  `mqtt://${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Default shard count: one shard (every robot sees every other) up to 20 robots, else one per core. */
export function defaultWorkers(robots: number): number {
  return robots <= 20 ? 1 : Math.max(1, Math.min(robots, availableParallelism()));
}

/** Runs the scenario; resolves with the report (pass verdict included). */
export async function runSim(o: SimRunOptions): Promise<SimRunResult> {
  const s = o.scenario;
  const mode = o.plannerMode ?? s.planner.mode;
  const speed = o.speed ?? 1;
  const fleet = o.fleet ?? 'sim';
  if (o.part && (!o.brokerUrl || speed <= 0)) {
    throw new KizunaError(
      'KZ_ERR_CLI_USAGE',
      '--shard needs --broker (the parts meet on one broker) and a --speed above 0 (each part paces its sim clock on the wall clock)',
    );
  }
  const ids = o.part
    ? shardOf(
        s.robots.map((r) => r.id),
        o.part,
      )
    : s.robots.map((r) => r.id);
  const workers = Math.max(1, Math.min(ids.length, o.workers ?? defaultWorkers(ids.length)));
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-sim-'));
  const cpu0 = process.cpuUsage();
  const cleanups: Array<() => Promise<void>> = [];
  // Recording and live view first: a path that cannot be written or an address taken fails before the run.
  const stream = o.mcapFile || o.live ? new SimStream(s) : undefined;
  const sinks: StreamSink[] = [];
  let live: LiveSink | undefined;
  let sinksClosed = false;
  const closeSinks = async (ok: boolean): Promise<void> => {
    if (sinksClosed) return;
    sinksClosed = true;
    let first: unknown;
    for (const k of sinks) await (ok ? k.close() : k.abort()).catch((err: unknown) => (first ??= err));
    // A recording that could not be completed fails the run; after a failure the first error stands.
    if (ok && first !== undefined) throw first;
  };
  try {
    if (stream && o.mcapFile) {
      sinks.push(
        await McapSink.open(o.mcapFile, stream, {
          scenario: s.name,
          source: o.source,
          seed: String(s.seed),
          duration_s: String(s.duration_s),
          robots: s.robots.map((r) => r.id).join(' '),
          planner: mode,
          fleet,
          kizuna_version: kizunaVersion(),
          node_version: process.version,
        }),
      );
    }
    if (stream && o.live) {
      live = await o.live(stream);
      sinks.push(live);
    }
  } catch (err) {
    await closeSinks(false);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let tapping = false;
  const retap = async (shards: readonly ShardHandle[]): Promise<void> => {
    const want = o.mcapFile !== undefined || (live?.watched ?? false);
    if (want === tapping) return;
    tapping = want;
    await Promise.all(shards.map((sh) => sh.tap(want)));
  };
  const sink = async (progress: readonly ShardProgress[]): Promise<void> => {
    if (!stream) return;
    const batches = progress.map((p) => p.tap).filter((b): b is TapBatch => b !== undefined);
    if (batches.length === 0) return;
    const msgs = stream.convert(batches);
    for (const k of sinks) await k.write(msgs);
  };
  let ok = false;
  try {
    // Keys: one pair per run for the planner; the robots trust its public key and every outside key.
    const key = newPlannerKey(`${PLANNER_KEY_PREFIX}${Date.now().toString(36)}`);
    const trusted: SimTrustedKey[] = [
      { keyId: key.keyId, publicKey: key.publicKeyB64, source: 'planner' },
      ...mergeOutsideKeys(o.trustedKeys ?? [], scenarioTrustedKeys(s)),
    ];
    const keysFile = join(dir, 'trusted_keys.json');
    writeFileSync(keysFile, JSON.stringify(runTrustedKeys(trusted), null, 2));

    // Broker: ours, or the outside one's nodes (a standby backup does not answer until it takes over).
    let broker: EmbeddedBroker | undefined;
    let nodes: Array<{ host: string; port: number }>;
    let mqttVersion: 4 | 5;
    let versionNote = '';
    /** Set when the broker refuses the robots' default client id `<fleet>.<robot_id>`. */
    let clientIdSeparator: string | undefined;
    if (o.brokerUrl) {
      nodes = parseBrokerUrls(o.brokerUrl);
      const up = await Promise.all(nodes.map((n) => reachable(n.host, n.port)));
      if (!up.some((x) => x)) {
        throw new KizunaError('KZ_ERR_SIM_BROKER', `no MQTT broker answers at ${o.brokerUrl}`, { entity: o.brokerUrl });
      }
      const live = nodes.filter((_, i) => up[i]).map(nodeUrl);
      if (o.mqttVersion) mqttVersion = o.mqttVersion;
      else {
        const probe = await probeMqttVersion(live);
        mqttVersion = probe.version;
        versionNote = probe.note;
      }
      if (!(await acceptsDottedClientId(live[0]!, mqttVersion))) {
        clientIdSeparator = '-';
        versionNote = [
          versionNote,
          'the broker refuses "." in client ids (CONNACK 0x02 identifier rejected): robots connect as <fleet>-<robot_id> (cloud_bridge client_id)',
        ]
          .filter(Boolean)
          .join('; ');
      }
    } else {
      if (o.mqttVersion === 5) {
        throw new KizunaError(
          'KZ_ERR_CLI_USAGE',
          '--mqtt-version 5 needs --broker: the embedded aedes speaks MQTT 3.1.1',
        );
      }
      broker = await EmbeddedBroker.start();
      cleanups.push(() => broker!.close());
      nodes = [{ host: '127.0.0.1', port: broker.port }];
      // aedes 0.51 speaks 3.1.1 only.
      mqttVersion = 4;
    }
    const brokerUrl = nodes.map(nodeUrl).join(',');

    // Planner first, so that it hears every robot's first event.
    const owner = new Map<string, ShardHandle>();
    let simT = 0;
    // A robot part has no planner: it would join the planner process's shared subscription and take requests.
    const planner = o.part
      ? undefined
      : await Planner.start({
          urls: nodes.map(nodeUrl),
          mqttVersion,
          root: DEFAULT_TOPIC_ROOT,
          fleet,
          mode,
          scenario: s,
          key,
          simTime: () => simT,
          setLink: async (id, up) => {
            await owner.get(id)?.setLink(id, up);
          },
        });
    if (planner) cleanups.unshift(() => planner.close());

    // Shards
    const plan = planShards(ids, workers);
    const { shards, close: closePool } = await startShards(
      plan.map((robotIds, shardIndex) => ({
        shardIndex,
        scenario: s,
        robotIds,
        fleet,
        brokers: nodes,
        mqttVersion,
        trustedKeysFile: keysFile,
        storeDir: join(dir, `stores-${shardIndex}`),
        logLevel: o.logLevel ?? 'error',
        recordPeople: true,
        ...(o.pathPeriodS !== undefined ? { pathPeriodS: o.pathPeriodS } : {}),
        // The built-in planner acknowledges events: robots keep each until it did. With `none` an outside
        // national side may or may not: the bridge's default (auto) follows whichever it meets, unless
        // told (--end-to-end-ack required for a side that acknowledges).
        endToEndAck: o.endToEndAck ?? (mode === 'none' ? 'auto' : 'required'),
        ...(s.protocol === 'vda5050' || o.bridgeOverrides
          ? {
              bridgeOverrides: {
                // the sim has no TLS: a VDA 5050 robot runs with allow_unsigned (docs/vda5050.md, "Trust")
                ...(s.protocol === 'vda5050' ? { protocol: 'vda5050', allow_unsigned: true } : {}),
                ...o.bridgeOverrides,
              },
            }
          : {}),
        ...(o.auditDir ? { auditDir: o.auditDir } : {}),
        ...(o.blackBoxDir ? { blackBoxDir: o.blackBoxDir } : {}),
        ...(clientIdSeparator ? { clientIdSeparator } : {}),
      })),
    );
    let links: LinkBytes[] = [];
    let shardsClosed = false;
    const closeShards = async (): Promise<void> => {
      if (shardsClosed) return;
      shardsClosed = true;
      links = (await Promise.all(shards.map((sh) => sh.close().catch(() => [] as LinkBytes[])))).flat();
      await closePool();
    };
    cleanups.unshift(closeShards);
    for (const sh of shards) for (const id of sh.robotIds) owner.set(id, sh);
    o.onReady?.({ brokerUrl, mqttVersion, root: DEFAULT_TOPIC_ROOT, fleet, robotIds: ids, trustedKeys: trusted });
    // A part starts at the planner's sim time 0 (a late one catches up, running as fast as it can).
    let startEpochMs: number | undefined;
    if (o.part) {
      const start = await awaitStart(
        nodeUrl(nodes[0]!),
        mqttVersion,
        fleet,
        { scenario: s, speed },
        (o.partStartTimeoutS ?? 120) * 1000,
      );
      startEpochMs = start.t0Ms;
      await sleep(Math.max(0, start.t0Ms - Date.now()));
    }

    // The run. At --speed 0 each step waits for the messages it set in flight (sync.ts).
    const sync = speed > 0 || o.networkSync === false ? undefined : new NetworkSync();
    const syncPoll = async (): Promise<RobotFlow[]> => (await Promise.all(shards.map((sh) => sh.flow()))).flat();
    const faults = faultTimeline(s);
    let nextFault = 0;
    const chunk = Math.max(s.dt_s, Math.round(0.1 / s.dt_s) * s.dt_s);
    const wall0 = performance.now() - (startEpochMs === undefined ? 0 : Math.max(0, Date.now() - startEpochMs));
    let lastProgress = -Infinity;
    let progress: ShardProgress[] = [];
    const attacks: Array<Promise<void>> = [];
    const said: AnnouncementRecord[] = [];
    const report = (): void => {
      const sum = (k: keyof ShardProgress): number => progress.reduce((a, p) => a + (p[k] as number), 0);
      o.onProgress?.({
        t: simT,
        durationS: s.duration_s,
        wallS: (performance.now() - wall0) / 1000,
        tasksOk: sum('tasksOk'),
        tasksFailed: sum('tasksFailed'),
        accepted: sum('accepted'),
        rejected: sum('rejected'),
        stops: sum('stops'),
        linksUp: sum('linksUp'),
        robots: sum('robots'),
        collisions: sum('collisions'),
        linkError: progress.find((p) => p.linkError)?.linkError ?? '',
        brokerUp: broker ? broker.running : true,
        injected: planner?.injections.length ?? 0,
        said: said.splice(0),
        roundTrips: planner?.roundTripsMs.length ?? 0,
      });
    };
    while (simT < s.duration_s - 1e-9 && !o.signal?.aborted) {
      while (nextFault < faults.length && faults[nextFault]!.at_s <= simT + 1e-9) {
        await applyFault(faults[nextFault++]!, { broker, owner, planner, attacks });
      }
      planner?.tick(simT);
      const until = chunkEnd(
        simT,
        chunk,
        s.dt_s,
        s.duration_s,
        Math.min(faults[nextFault]?.at_s ?? Infinity, planner?.nextDueS() ?? Infinity),
      );
      if (stream) await retap(shards);
      progress = await Promise.all(shards.map((sh) => sh.step(until)));
      for (const p of progress) if (said.length < 1000) said.push(...p.said);
      simT = until;
      await sink(progress);
      // Faults a position trigger fired that the shard did not own: into the timeline, in time order.
      const fired = progress.flatMap((p) => p.fired);
      if (fired.length > 0) {
        const rest = [...faults.slice(nextFault), ...fired].sort((a, b) => a.at_s - b.at_s);
        faults.splice(nextFault, faults.length - nextFault, ...rest);
      }
      if (speed > 0) {
        const due = wall0 + (simT / speed) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      } else if (sync) {
        await syncNetwork(
          sync,
          syncPoll,
          (id) => planner!.flow(id),
          () => (broker ? broker.running : true),
        );
      } else await new Promise((r) => setImmediate(r));
      if (performance.now() - lastProgress >= 1000) {
        lastProgress = performance.now();
        report();
      }
    }
    report();
    const wallRun = (performance.now() - wall0) / 1000;
    await Promise.all(attacks);
    // The recording is complete and the live view ends with the stepping (the drain adds no sim time).
    await closeSinks(true);

    // Drain: let outboxes empty (wall time; sim time stands still).
    await Promise.all(shards.map((sh) => sh.settle()));
    const drain0 = performance.now();
    const limit = (o.drainTimeoutS ?? 30) * 1000;
    for (;;) {
      const pend = await Promise.all(shards.map((sh) => sh.pending()));
      const outbox = pend.reduce((a, p) => a + p.outbox, 0);
      if (outbox === 0 || performance.now() - drain0 > limit) break;
      await sleep(100);
    }
    // With `none`, events may leave the outboxes on the broker's PUBACK: give them a moment to reach the planner.
    await sleep(300);
    const drainS = (performance.now() - drain0) / 1000;
    if (o.part) await announceDone(nodeUrl(nodes[0]!), mqttVersion, fleet, o.part, ids);
    const shardReports = await Promise.all(shards.map((sh) => sh.report()));
    const cpu = process.cpuUsage(cpu0);
    const facts: RunFacts = {
      scenario: s,
      source: o.source,
      version: kizunaVersion(),
      workers,
      broker: {
        kind: broker ? 'embedded' : 'external',
        url: brokerUrl,
        mqttVersion,
        mqttVersionFrom: broker ? 'embedded' : o.mqttVersion ? 'option' : 'probe',
        ...(versionNote ? { note: versionNote } : {}),
      },
      trustedKeys: trusted,
      planner: plannerFacts(planner, mode, mqttVersion),
      simTimeS: simT,
      wallTimeS: wallRun,
      ...(sync ? { networkSync: sync.totals } : {}),
      cpuUserS: cpu.user / 1e6,
      cpuSystemS: cpu.system / 1e6,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      ...plannerBooks(planner),
      shards: shardReports,
      drainS,
    };
    const rep = buildReport(facts);
    ok = true;
    // The bridges stop (shutdown status, DISCONNECT) before the broker and the planner: then every byte
    // each link proxy will ever carry has been counted.
    await closeShards();
    return { report: rep, shards: shardReports, links, facts };
  } finally {
    await closeSinks(ok);
    for (const c of cleanups) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the report says of the planner (a robot part has none: zeros, and `mode` says so). */
export function plannerFacts(planner: Planner | undefined, mode: string, mqttVersion: 4 | 5): RunFacts['planner'] {
  return {
    mode: planner ? mode : 'in another process',
    protocol: planner?.protocol ?? mqttVersion,
    sharedSubscription: planner?.sharedSubscription ?? false,
    decisionsSent: planner?.decisionsSent ?? 0,
    requestsSeen: planner?.requestsSeen ?? 0,
    requestsAnswered: planner?.requestsAnswered ?? 0,
  };
}

/** The cloud side's books of the run: round trips, decisions by sender, injections, events per robot. */
export function plannerBooks(
  planner: Planner | undefined,
): Pick<RunFacts, 'roundTripsMs' | 'bySender' | 'injections' | 'cloud'> {
  if (!planner) return { roundTripsMs: [], bySender: {}, injections: [], cloud: [] };
  return {
    roundTripsMs: planner.roundTripsMs,
    bySender: Object.fromEntries(planner.bySender),
    injections: planner.injections,
    cloud: [...planner.books.values()].map((b) => ({
      robotId: b.id,
      received: b.events.received,
      acknowledged: b.events.acknowledged,
      declaredLost: b.events.declaredLost,
      outOfOrder: b.events.outOfOrder,
      duplicates: b.events.duplicates,
      eventsByType: b.eventsByType,
      rejectionsByReason: b.rejectionsByReason,
    })),
  };
}

/**
 * [s] where the chunk starting at `simT` ends: `chunk` later (or at the end of the run), or earlier at
 * the first world step at or after `nextAtS` (the next fault or planner action), so that faults and
 * scripted decisions land on their own step, not on a chunk boundary (a 40 ms e-stop press must not be
 * swallowed by a 100 ms chunk).
 */
export function chunkEnd(simT: number, chunk: number, dtS: number, durationS: number, nextAtS: number): number {
  let until = Math.min(durationS, simT + chunk);
  if (nextAtS > simT + 1e-9 && nextAtS < until) {
    // The first step boundary at or after nextAtS (steps are whole multiples of dt from 0).
    until = Math.max(simT + dtS, Math.ceil(nextAtS / dtS - 1e-9) * dtS);
  }
  return Math.min(durationS, until);
}

async function applyFault(
  f: TimedFault,
  ctx: {
    broker: EmbeddedBroker | undefined;
    owner: Map<string, ShardHandle>;
    planner: Planner | undefined;
    attacks: Array<Promise<void>>;
  },
): Promise<void> {
  switch (f.kind) {
    case 'broker_down':
      // Only a broker that is ours can be stopped; with --broker the fault is skipped (reported in the log).
      if (ctx.broker) await ctx.broker.down();
      return;
    case 'broker_up':
      if (ctx.broker) await ctx.broker.up();
      return;
    case 'inject_decision':
      // in a robot part the planner process injects (it owns the planner's books)
      if (ctx.planner) ctx.attacks.push(ctx.planner.inject(f.robot, f.attack).catch(() => undefined));
      return;
    default:
      await ctx.owner.get(f.robot)?.fault(f);
  }
}

/** Writes the JSON report to `file` and the SVG map beside it (same name, .svg); returns the map's path. */
export function writeReport(file: string, result: SimRunResult, scenario: Scenario): string {
  writeFileSync(file, JSON.stringify(result.report, null, 2) + '\n');
  const svgFile = file.replace(/\.json$/i, '') + '.svg';
  writeFileSync(svgFile, renderSvg(scenario, result.shards));
  return svgFile;
}

/**
 * `kizuna sim`: runs a scenario of the built-in simulation through the real nodes, the real MQTT
 * bridge and a broker, with the reference planner standing in for the national model. Progress goes
 * to stderr while it runs; the summary table to stdout; the JSON report and the SVG map to files.
 * Exit status 0 exactly when the scenario's pass criteria hold.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { KizunaError } from '../core/errors';
import { PROFILE_NAMES, type ProfileName } from '../core/profiles';
import { loadScenario } from '../../sim/scenario';
import { adjustScenario, scenarioLibraryDir } from '../../sim/fleet/scale';
import { runSim, writeReport, type FleetProgress } from '../../sim/fleet/run';
import { readTrustedKeysFile } from '../../sim/fleet/trusted-keys';
import { linkErrorKey, summaryText } from '../../sim/report/report';
import type { PlannerMode } from '../../sim/planner/planner';
import { FoxgloveLive, parseFoxgloveAddress } from '../../sim/foxglove/server';
import type { AnnouncementRecord } from '../../sim/fleet/shard';
import { printable } from '../core/printable';
import { auditAgainstLinks } from './sim-audit';
import { parsePartIndex, type PartIndex } from '../../sim/fleet/parts';
import { checkPartFlags, partDone, runPlannerOnlyCli, runSimReportCli } from './sim-parts';

export const SIM_USAGE = `usage: kizuna sim [--scenario FILE|NAME] [--robots N] [--profile P] [--fleet NAME]
                  [--broker URL[,URL...]] [--mqtt-version 3.1.1|5] [--planner reference|scripted|none]
                  [--trusted-keys FILE]... [--end-to-end-ack required|auto|off] [--protocol kizuna|vda5050]
                  [--duration S] [--speed X] [--seed N] [--report FILE]
                  [--workers N] [--quiet] [--mcap FILE] [--foxglove [HOST:PORT]] [--foxglove-remote]
                  [--no-network-sync] [--audit DIR] [--black-box DIR]
                  [--shard K/N [--start-timeout S] | --planner-only --keys-out FILE]
       kizuna sim report merge PART_FILE... [--report FILE]`;

const SIM_HELP = `${SIM_USAGE}

  --broker URL[,URL...]  an outside broker on this machine (mqtt://127.0.0.1:PORT) instead of the
                       embedded aedes; a comma-separated list is a cluster's nodes: each robot fails over
                       between them (it starts at the node its id hashes to), the planner too
  --mqtt-version 3.1.1|5
                       the MQTT version towards --broker (default: probed once, 5 if accepted). On 3.1.1
                       the planner reads requests on a plain subscription (docs/contract.md, "MQTT 3.1.1:
                       what degrades, exactly")

  --trusted-keys FILE  every robot also trusts the public keys in FILE, a trusted keys file
                       { "keys": [{ "keyId": "...", "publicKey": "<raw 32-byte Ed25519 key, base64>" }] }
                       (docs/contract.md, "Signing"); repeatable. An outside national side then drives
                       the robots with decisions it signs with the private key: run with --planner none
                       and connect to the broker the "ready" line on stderr names (or give --broker).
                       The report's trustedKeys lists every key the robots trusted.
  --end-to-end-ack required|auto|off
                       every robot's cloud_bridge end_to_end_ack (docs/contract.md, "events/ack").
                       Default: required with the built-in planner, auto with --planner none. Give
                       required when your national side acknowledges events: none is then lost even if
                       it connects after the robots (they send again until acknowledged)

  --protocol kizuna|vda5050
                       what every robot's cloud_bridge speaks (default kizuna). vda5050: VDA 5050 2.0 on
                       uagv/v2/kizuna/<robot>/... (docs/vda5050.md) for an outside master control on the
                       broker the "ready" line names; the sim has no TLS, so the robots run with
                       allow_unsigned. Use it with --planner none

  --mcap FILE          record the run into an MCAP file (the robots' ROS 2 topics as CDR, the site and
                       the log as foxglove schemas); open it in Foxglove or read it with ROS 2 tools
  --foxglove [HOST:PORT]
                       serve the run live to Foxglove (WebSocket, default 127.0.0.1:8765; port 0 takes a
                       free one); a host beyond loopback needs --foxglove-remote as well.
                       Layout: docs/foxglove/kizuna-sim.json
  --black-box DIR      keep each robot's black-box incident files (MCAP: the seconds around each stop,
                       e-stop, collision, fault or forged decision) in DIR/<robot>; default: beside the
                       report, <report>.blackbox/ (kizuna blackbox list --dir DIR/<robot> reads them)
  --audit DIR          keep each robot's audit log (cloud_bridge) in DIR/<robot>, what its link proxy
                       carried in DIR/link-bytes.json, and print the two compared after the run
                       (kizuna audit --dir DIR/<robot> reads one)

  --speed 0            as fast as the machine goes; after each 0.1 s step the run waits (wall time, sim
                       time standing still) for the MQTT messages the step set in flight: decision
                       requests to reach the planner, decisions to reach the robots, and links that are
                       back to reconnect, each wait bounded (report: metrics.networkSync)
  --no-network-sync    at --speed 0, let MQTT run free against the sim clock (decisions then land
                       seconds of sim time late, more so on a loaded machine)

  --shard K/N          run part K of N of the scenario's robots in this process (no planner here), against
                       --broker, with --trusted-keys FILE from the planner part: one fleet run across
                       processes or machines. Each part paces its sim clock from the start the planner
                       announces on the broker (so --speed above 0) and writes <report>.part.json;
                       --start-timeout S: how long it waits for that start (default 120)
  --planner-only       run only the planner of such a run (reference, or the scenario's scripted one):
                       it writes the trusted keys file for the parts to --keys-out FILE, announces sim
                       time 0 five seconds later, and stays up until every part has drained
  report merge PART_FILE... [--report FILE]
                       one report and map of the whole fleet from every part file (the planner's and
                       each --shard's); exit 0 when the scenario's pass criteria hold

scenarios, flags, the report and the map: sim/README.md`;

export interface SimCliOptions {
  scenario?: string;
  robots?: number;
  profile?: ProfileName;
  fleet?: string;
  broker?: string;
  /** --mqtt-version: 4 (3.1.1) or 5. */
  mqttVersion?: 4 | 5;
  planner?: PlannerMode;
  durationS?: number;
  speed?: number;
  seed?: number;
  report?: string;
  workers?: number;
  quiet?: boolean;
  /** `--no-network-sync`: at --speed 0, MQTT runs free against the sim clock. */
  noNetworkSync?: boolean;
  /** --trusted-keys, in the order given. */
  trustedKeys?: string[];
  /** --mcap FILE. */
  mcap?: string;
  /** --foxglove [HOST:PORT]: the address (the default when given without a value). */
  foxglove?: { host: string; port: number };
  /** --audit DIR. */
  audit?: string;
  /** --black-box DIR. */
  blackBox?: string;
  /** --end-to-end-ack: every robot's cloud_bridge `end_to_end_ack`. */
  endToEndAck?: 'auto' | 'required' | 'off';
  /** --protocol: every robot's cloud_bridge `protocol`. */
  protocol?: 'kizuna' | 'vda5050';
  /** --shard K/N: this process runs part K of N of the robots. */
  shard?: PartIndex;
  /** --planner-only: this process runs the planner of a run whose robots are in --shard processes. */
  plannerOnly?: boolean;
  /** --keys-out FILE: where --planner-only writes the trusted keys file for the parts. */
  keysOut?: string;
  /** --start-timeout S: how long a --shard part waits for the planner's start. */
  startTimeoutS?: number;
}

function usage(why: string, usageText: string): KizunaError {
  return new KizunaError('KZ_ERR_CLI_USAGE', `${why}\n\n${usageText}`);
}

/** The flags of `kizuna sim`, checked (KZ_ERR_CLI_USAGE naming the flag when one is wrong). */
export function parseSimArgs(args: readonly string[], usageText = SIM_USAGE): SimCliOptions {
  const o: SimCliOptions = {};
  let foxglove: string | undefined;
  let wantFoxglove = false;
  const num = (flag: string, v: string | undefined, ok: (n: number) => boolean, what: string): number => {
    const n = Number(v);
    if (v === undefined || v.trim() === '' || !Number.isFinite(n) || !ok(n)) {
      throw usage(`${flag} needs ${what}, got '${v ?? ''}'`, usageText);
    }
    return n;
  };
  // Checked now, not after a run of minutes that then cannot write its result.
  const outputFile = (flag: string, path: string): string => {
    let isDir = false;
    try {
      isDir = statSync(resolve(path)).isDirectory();
    } catch {
      // absent: created when written
    }
    if (isDir || path.trim() === '') throw usage(`${flag} needs a file path, got the directory '${path}'`, usageText);
    return path;
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const v = (): string => {
      const x = args[++i];
      if (x === undefined) throw usage(`${flag} needs a value`, usageText);
      return x;
    };
    switch (flag) {
      case '--scenario':
        o.scenario = v();
        break;
      case '--robots':
        o.robots = num(flag, args[++i], (n) => Number.isInteger(n) && n >= 1 && n <= 10000, 'an integer in 1..10000');
        break;
      case '--profile': {
        const p = v();
        if (!(PROFILE_NAMES as readonly string[]).includes(p)) {
          throw usage(`--profile must be one of ${PROFILE_NAMES.join(', ')}, got '${p}'`, usageText);
        }
        o.profile = p as ProfileName;
        break;
      }
      case '--fleet': {
        const f = v();
        if (!/^[A-Za-z0-9_-]{1,64}$/.test(f) || f === 'broadcast') {
          throw usage(`--fleet must be one MQTT topic level (letters, digits, _ and -), got '${f}'`, usageText);
        }
        o.fleet = f;
        break;
      }
      case '--broker':
        o.broker = v();
        break;
      case '--mqtt-version': {
        const m = v();
        if (m !== '3.1.1' && m !== '5' && m !== '4' && m !== '5.0') {
          throw usage(`--mqtt-version must be 3.1.1 or 5, got '${m}'`, usageText);
        }
        o.mqttVersion = m === '5' || m === '5.0' ? 5 : 4;
        break;
      }
      case '--planner': {
        const p = v();
        if (p !== 'reference' && p !== 'scripted' && p !== 'none') {
          throw usage(`--planner must be reference, scripted or none, got '${p}'`, usageText);
        }
        o.planner = p;
        break;
      }
      case '--duration':
        o.durationS = num(flag, args[++i], (n) => n > 0 && n <= 86400, 'seconds in (0, 86400]');
        break;
      case '--speed':
        o.speed = num(flag, args[++i], (n) => n >= 0 && n <= 1000, 'a factor in [0, 1000] (0 = as fast as possible)');
        break;
      case '--seed':
        o.seed = num(
          flag,
          args[++i],
          (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff,
          'an integer in 0..4294967295',
        );
        break;
      case '--report':
        o.report = outputFile(flag, v());
        break;
      case '--workers':
        o.workers = num(flag, args[++i], (n) => Number.isInteger(n) && n >= 1 && n <= 256, 'an integer in 1..256');
        break;
      case '--quiet':
        o.quiet = true;
        break;
      case '--no-network-sync':
        o.noNetworkSync = true;
        break;
      case '--trusted-keys':
        (o.trustedKeys ??= []).push(v());
        break;
      case '--end-to-end-ack': {
        const m = v();
        if (m !== 'required' && m !== 'auto' && m !== 'off') {
          throw usage(`--end-to-end-ack must be required, auto or off, got '${m}'`, usageText);
        }
        o.endToEndAck = m;
        break;
      }
      case '--protocol': {
        const m = v();
        if (m !== 'kizuna' && m !== 'vda5050')
          throw usage(`--protocol must be kizuna or vda5050, got '${m}'`, usageText);
        o.protocol = m;
        break;
      }
      case '--mcap':
        o.mcap = outputFile(flag, v());
        break;
      case '--foxglove':
        wantFoxglove = true;
        // The address is optional: the next argument is it unless it is another flag.
        if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) foxglove = args[++i];
        break;
      case '--foxglove-remote':
        break;
      case '--black-box': {
        const d = v();
        if (existsSync(d) && !statSync(d).isDirectory())
          throw usage(`--black-box needs a directory, got the file '${d}'`, usageText);
        o.blackBox = d;
        break;
      }
      case '--shard':
        o.shard = parsePartIndex(v());
        break;
      case '--planner-only':
        o.plannerOnly = true;
        break;
      case '--start-timeout':
        o.startTimeoutS = num(flag, args[++i], (n) => n > 0 && n <= 3600, 'seconds in (0, 3600]');
        break;
      case '--keys-out':
        o.keysOut = outputFile(flag, v());
        break;
      case '--audit': {
        const d = v();
        if (existsSync(d) && !statSync(d).isDirectory())
          throw usage(`--audit needs a directory, got the file '${d}'`, usageText);
        o.audit = d;
        break;
      }
      default:
        throw usage(`unknown sim option '${flag}'`, usageText);
    }
  }
  checkPartFlags(o, (why) => usage(why, usageText));
  const remote = args.includes('--foxglove-remote');
  if (remote && !wantFoxglove) throw usage('--foxglove-remote goes with --foxglove HOST:PORT', usageText);
  if (wantFoxglove) {
    try {
      o.foxglove = parseFoxgloveAddress(foxglove, remote);
    } catch (err) {
      throw usage((err as Error).message, usageText);
    }
  }
  return o;
}

/** A scenario argument as a file: an existing path, else a name in the library (sim/scenarios/NAME.yaml). */
export function resolveScenario(arg: string): string {
  if (existsSync(arg)) return arg;
  const lib = scenarioLibraryDir();
  const named = lib ? join(lib, `${arg.replace(/\.ya?ml$/, '')}.yaml`) : undefined;
  if (named && existsSync(named)) return named;
  return arg; // loadScenario reports the missing file with KZ_ERR_SCENARIO_INVALID
}

/** One announcement as a log line: when, who, and what it said in both languages (printable). */
function announcementLine(a: AnnouncementRecord): string {
  return `[${a.t.toFixed(1)} s] ${a.robotId} says (${printable(a.intent, 40)}): 「${printable(a.ja, 200)}」 "${printable(a.en, 200)}"`;
}

/** The progress line: every number next to what it counts. */
export function progressLine(p: FleetProgress): string {
  return (
    `sim ${p.t.toFixed(1)}/${p.durationS} s (wall ${p.wallS.toFixed(0)} s) · robots ${p.robots} · ` +
    `tasks: ${p.tasksOk} done, ${p.tasksFailed} failed · decisions: ${p.accepted} accepted, ${p.rejected} rejected · ` +
    `safety stops ${p.stops} · collisions ${p.collisions} · links up ${p.linksUp}/${p.robots}` +
    (p.linksUp < p.robots && p.linkError ? ` (last link error: ${linkErrorKey(p.linkError)})` : '') +
    (p.brokerUp ? '' : ' · BROKER DOWN')
  );
}

/** Runs `kizuna sim`; resolves with the exit status (0: pass criteria hold). */
export async function runSimCli(args: readonly string[], usageText = SIM_USAGE): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${SIM_HELP}\n`);
    return 0;
  }
  if (args[0] === 'report') return runSimReportCli(args.slice(1));
  const o = parseSimArgs(args, usageText);
  const outsideKeys = (o.trustedKeys ?? []).flatMap((f) => readTrustedKeysFile(f));
  const name = o.scenario ?? (o.profile && !o.robots ? o.profile : 'fleet');
  const file = resolveScenario(name);
  const loaded = loadScenario(file);
  const scenario = adjustScenario(
    loaded,
    {
      ...(o.robots !== undefined ? { robots: o.robots } : {}),
      ...(o.profile !== undefined && o.scenario !== undefined ? { profile: o.profile } : {}),
      ...(o.durationS !== undefined ? { durationS: o.durationS } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.planner !== undefined ? { plannerMode: o.planner } : {}),
    },
    file,
  );
  if (scenario.robots.length === 0) throw usage(`scenario ${file} has no robot of profile ${o.profile}`, usageText);
  const reportFile = resolve(o.report ?? join('sim-results', `${scenario.name}.json`));
  mkdirSync(dirname(reportFile), { recursive: true });
  if (o.plannerOnly) return runPlannerOnlyCli(o, scenario, file, reportFile);
  const err = process.stderr;
  const tty = err.isTTY === true;
  let n = 0;
  err.write(
    `kizuna sim: scenario ${scenario.name} (${file}), ${scenario.robots.length} robot(s), ${scenario.duration_s} s, ` +
      `planner ${o.shard ? `in its own process (this is part ${o.shard.index}/${o.shard.count})` : scenario.planner.mode}, speed ${o.speed ?? 1}${o.speed === 0 ? ' (as fast as possible)' : 'x'}, ` +
      `broker ${o.broker ?? 'embedded (aedes)'}\n`,
  );
  // Ctrl-C ends the run early; the report and the map still cover what ran.
  const stop = new AbortController();
  const onSignal = (): void => {
    err.write('\nkizuna sim: stopping early (signal); writing the report of what ran\n');
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const mcap = o.mcap ?? scenario.recording?.mcap;
  const blackBoxDir = resolve(o.blackBox ?? reportFile.replace(/\.json$/i, '') + '.blackbox');
  let live: FoxgloveLive | undefined;
  const result = await runSim({
    ...(mcap !== undefined ? { mcapFile: resolve(mcap) } : {}),
    ...(o.foxglove
      ? {
          live: async (stream) => {
            live = await FoxgloveLive.start(stream, { ...o.foxglove!, name: `kizuna sim ${scenario.name}` });
            err.write(
              `kizuna sim: foxglove: ${live.url} (open it in Foxglove: Open connection → Foxglove WebSocket; ` +
                `layout docs/foxglove/kizuna-sim.json)\n`,
            );
            return live;
          },
        }
      : {}),
    signal: stop.signal,
    scenario,
    source: file,
    ...(o.broker ? { brokerUrl: o.broker } : {}),
    ...(o.mqttVersion ? { mqttVersion: o.mqttVersion } : {}),
    ...(o.fleet ? { fleet: o.fleet } : {}),
    ...(o.speed !== undefined ? { speed: o.speed } : {}),
    ...(o.workers !== undefined ? { workers: o.workers } : {}),
    ...(o.noNetworkSync ? { networkSync: false } : {}),
    trustedKeys: outsideKeys,
    ...(o.audit ? { auditDir: resolve(o.audit) } : {}),
    blackBoxDir,
    ...(o.endToEndAck ? { endToEndAck: o.endToEndAck } : {}),
    ...(o.protocol === 'vda5050' ? { bridgeOverrides: { protocol: 'vda5050', allow_unsigned: true } } : {}),
    ...(o.shard ? { part: o.shard } : {}),
    ...(o.startTimeoutS !== undefined ? { partStartTimeoutS: o.startTimeoutS } : {}),
    onReady: (r) => {
      const outside = r.trustedKeys.filter((k) => k.source !== 'planner');
      err.write(
        `kizuna sim: ready: broker ${r.brokerUrl} (MQTT ${r.mqttVersion === 5 ? '5' : '3.1.1'}), ` +
          `topics ${r.root}/${r.fleet}/<robot>/..., robots ${r.robotIds.join(' ')}; ` +
          `trusted keys ${r.trustedKeys.map((k) => k.keyId).join(' ')}` +
          (outside.length ? ` (outside: ${outside.map((k) => k.keyId).join(' ')})` : '') +
          '\n',
      );
    },
    onProgress: (p) => {
      if (o.quiet) return;
      // what the robots said to people, as they said it (a small run: a fleet would drown the terminal)
      if (p.robots <= 20) for (const a of p.said) err.write(`${tty ? '\r\x1b[2K' : ''}${announcementLine(a)}\n`);
      if (tty) err.write(`\r\x1b[2K${progressLine(p)}`);
      else if (n++ % 5 === 0) err.write(`${progressLine(p)}\n`);
    },
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (tty && !o.quiet) err.write('\n');
  const svg = writeReport(reportFile, result, scenario);
  if (o.shard) return partDone(o.shard, result, reportFile, svg);
  process.stdout.write(`${summaryText(result.report)}\n\nreport: ${reportFile}\nmap:    ${svg}\n`);
  if (mcap !== undefined) process.stdout.write(`mcap:   ${resolve(mcap)}\n`);
  const bbFiles = new Set(result.report.incidents.flatMap((i) => (i.file ? [i.file] : []))).size;
  process.stdout.write(
    `black box: ${bbFiles} incident file(s) in ${blackBoxDir}/<robot> (kizuna blackbox list --dir ...)\n`,
  );
  if (live) process.stdout.write(`foxglove: served ${live.url}; ${live.dropped} message(s) dropped for slow clients\n`);
  if (o.audit) {
    const { lines } = auditAgainstLinks(resolve(o.audit), result.links);
    process.stdout.write(`audit:  ${resolve(o.audit)}/<robot> (kizuna audit --dir ...)\n${lines.join('\n')}\n`);
  }
  return result.report.pass ? 0 : 1;
}

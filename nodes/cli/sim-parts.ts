/**
 * `kizuna sim` across processes (sim/fleet/parts.ts): the checks of `--shard` / `--planner-only`, the
 * planner part's run, what a robot part prints when done, and `kizuna sim report merge`.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { KizunaError } from '../core/errors';
import type { Scenario } from '../../sim/scenario';
import { mergeParts, partFileJson, readPartFile, type PartIndex } from '../../sim/fleet/parts';
import { runPlannerPart } from '../../sim/fleet/planner-part';
import { writeReport, type SimRunResult } from '../../sim/fleet/run';
import { buildReport, summaryText } from '../../sim/report/report';
import type { SimCliOptions } from './sim';

export const MERGE_USAGE = 'usage: kizuna sim report merge PART_FILE... [--report FILE]';

/** `<report>.part.json` beside a report. */
export const partFileOf = (reportFile: string): string => reportFile.replace(/\.json$/i, '') + '.part.json';

/** The flags that go with `--shard` and `--planner-only`, checked together. */
export function checkPartFlags(o: SimCliOptions, usage: (why: string) => KizunaError): void {
  if (o.shard && o.plannerOnly) throw usage('--shard and --planner-only are two different processes: give one');
  const multi = o.shard ? `--shard ${o.shard.index}/${o.shard.count}` : o.plannerOnly ? '--planner-only' : undefined;
  if (o.keysOut && !o.plannerOnly) throw usage('--keys-out goes with --planner-only');
  if (o.startTimeoutS !== undefined && !o.shard) throw usage('--start-timeout goes with --shard');
  if (!multi) return;
  if (!o.broker) throw usage(`${multi} needs --broker URL: every part of the run meets on one broker`);
  if (o.speed === 0) throw usage(`${multi} needs --speed above 0: each part paces its sim clock on the wall clock`);
  if (o.shard && o.planner) throw usage('--shard runs no planner (the --planner-only process does): drop --planner');
  if (o.shard && !o.trustedKeys?.length) {
    throw usage('--shard needs --trusted-keys FILE: the keys file the --planner-only process wrote (--keys-out)');
  }
  if (o.plannerOnly && !o.keysOut)
    throw usage('--planner-only needs --keys-out FILE (the parts read it with --trusted-keys)');
  if (o.plannerOnly && (o.mcap || o.foxglove || o.audit || o.blackBox || o.trustedKeys?.length)) {
    throw usage(
      '--planner-only runs no robots: --mcap, --foxglove, --audit, --black-box and --trusted-keys go to the --shard parts',
    );
  }
}

/** Runs the planner part; writes its part file. Exit status 0 once every robot part said it was done. */
export async function runPlannerOnlyCli(
  o: SimCliOptions,
  scenario: Scenario,
  source: string,
  reportFile: string,
): Promise<number> {
  const err = process.stderr;
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let n = 0;
  const facts = await runPlannerPart({
    scenario,
    source,
    brokerUrl: o.broker!,
    keysOut: resolve(o.keysOut!),
    signal: stop.signal,
    ...(o.mqttVersion ? { mqttVersion: o.mqttVersion } : {}),
    ...(o.fleet ? { fleet: o.fleet } : {}),
    ...(o.speed !== undefined ? { speed: o.speed } : {}),
    ...(o.planner && o.planner !== 'none' ? { mode: o.planner } : {}),
    onProgress: (p) => {
      if (o.quiet || n++ % 5 !== 0) return;
      err.write(
        `planner: sim ${p.t.toFixed(1)}/${p.durationS} s · robots heard ${p.robotsHeard}/${p.robots} · ` +
          `decisions sent ${p.decisionsSent} · parts done for ${p.done}/${p.robots} robots\n`,
      );
    },
  }).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  const partFile = partFileOf(reportFile);
  writeFileSync(partFile, partFileJson('planner', facts));
  const heard = facts.cloud.filter((c) => c.received.size > 0).length;
  const events = facts.cloud.reduce((a, c) => a + c.received.size, 0);
  process.stdout.write(
    `planner part: ${facts.planner.decisionsSent} decisions sent, ${facts.planner.requestsAnswered} of ` +
      `${facts.planner.requestsSeen} requests answered, ${events} events from ${heard} of ${scenario.robots.length} robots\n` +
      `keys:   ${resolve(o.keysOut!)}\npart:   ${partFile}\n` +
      `merge:  kizuna sim report merge ${partFile} <each --shard part's .part.json> --report FILE\n`,
  );
  return stop.signal.aborted ? 1 : 0;
}

/** A robot part's end: its part file, and what it ran (its criteria are judged on the merged report). */
export function partDone(part: PartIndex, result: SimRunResult, reportFile: string, svg: string): number {
  const partFile = partFileOf(reportFile);
  writeFileSync(partFile, partFileJson('robots', result.facts, part));
  const r = result.report;
  process.stdout.write(
    `part ${part.index}/${part.count}: robots ${r.perRobot.map((p) => p.robotId).join(' ')}; ` +
      `${r.metrics.tasksOk} tasks done, ${r.metrics.collisions} collisions, ${r.metrics.events.sent} events sent, ` +
      `${result.facts.simTimeS.toFixed(1)} sim s\nreport: ${reportFile} (this part alone: events are counted by the planner part)\n` +
      `map:    ${svg}\npart:   ${partFile}\n`,
  );
  return 0;
}

/** `kizuna sim report merge PART_FILE... [--report FILE]`. */
export function runSimReportCli(args: readonly string[]): number {
  if (args[0] !== 'merge') {
    throw new KizunaError('KZ_ERR_CLI_USAGE', `unknown sim report command '${args[0] ?? ''}'\n\n${MERGE_USAGE}`);
  }
  const files: string[] = [];
  let out: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--report') {
      out = args[++i];
      if (out === undefined) throw new KizunaError('KZ_ERR_CLI_USAGE', `--report needs a file\n\n${MERGE_USAGE}`);
    } else if (a.startsWith('--')) {
      throw new KizunaError('KZ_ERR_CLI_USAGE', `unknown merge option '${a}'\n\n${MERGE_USAGE}`);
    } else files.push(a);
  }
  if (files.length < 2) {
    throw new KizunaError(
      'KZ_ERR_CLI_USAGE',
      `merge needs the planner's part file and every robot part's\n\n${MERGE_USAGE}`,
    );
  }
  const facts = mergeParts(files.map((f) => ({ file: f, part: readPartFile(f) })));
  const report = buildReport(facts);
  const reportFile = resolve(out ?? 'sim-results/merged.json');
  const svg = writeReport(reportFile, { report, shards: facts.shards, links: [], facts }, facts.scenario);
  process.stdout.write(`${summaryText(report)}\n\nreport: ${reportFile}\nmap:    ${svg}\n`);
  return report.pass ? 0 : 1;
}

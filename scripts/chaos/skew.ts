/**
 * The clock-skew experiment: robots whose wall clock is off against the planner's (the decision signer),
 * without touching the machine's clock: each bridge is given a skewed clock (`Date.now() + skew`), the
 * planner signs with the real one. Each robot gets the same decisions (issuedAt the planner's now,
 * expiresAt `lifetime` later, one per lifetime), each sent twice `replayAfterS` apart. The verdicts are
 * counted where they show: a rejection as the `decision_rejected` event at the far end (with its reason),
 * an acceptance as the decision handed to ROS on the robot. Each is compared with what docs/contract.md
 * says (decision checks 14 to 17, judged by the robot's clock at arrival): `expiresAt` at or before the
 * robot's now is `EXPIRED`; `issuedAt` more than `clock_skew_s` in the robot's future is `FUTURE_DATED`;
 * a `decisionId` already accepted (and not expired) is `REPLAYED`; else accepted.
 */
import mqtt from 'mqtt';
import type { TestBroker } from '../../test/helpers/brokers';
import { signedDecision } from '../../test/integration/cloud_bridge/harness';
import { check, openRig, sleep, waitFor, type Check, type Rig } from './common';

export interface SkewOptions {
  /** [s] robot clock minus planner clock, one robot per value. */
  skewsS: number[];
  /** [s] decision lifetimes (expiresAt − issuedAt) sent to every robot. */
  lifetimesS: number[];
  /** [s] between the first and the second copy of each decision. */
  replayAfterS: number;
}

/** The bridge's default clock_skew_s (nodes/cloud_bridge/params.ts), the tolerance docs/contract.md states. */
const TOLERANCE_S = 30;
/** [ms] a verdict this close to a boundary cannot be predicted from the send time: the case is not counted. */
const MARGIN_MS = 1500;

type Verdict = 'accepted' | string;

/** What docs/contract.md says the robot answers, at robot time `robotNowMs`, or undefined too close to call. */
export function documentedVerdict(
  d: { issuedAt: number; expiresAt: number },
  robotNowMs: number,
  acceptedBefore: boolean,
): Verdict | undefined {
  const near = (a: number, b: number): boolean => Math.abs(a - b) < MARGIN_MS;
  if (near(d.expiresAt, robotNowMs) || near(d.issuedAt, robotNowMs + TOLERANCE_S * 1000)) return undefined;
  if (d.expiresAt <= robotNowMs) return 'EXPIRED';
  if (d.issuedAt > robotNowMs + TOLERANCE_S * 1000) return 'FUTURE_DATED';
  if (acceptedBefore) return 'REPLAYED';
  return 'accepted';
}

interface Case {
  skewS: number;
  lifetimeS: number;
  copy: 1 | 2;
  expected: Verdict | undefined;
  observed: Verdict | undefined;
}

async function robotRun(broker: TestBroker, skewS: number, o: SkewOptions): Promise<Case[]> {
  const id = `skew${skewS < 0 ? 'm' : 'p'}${Math.abs(skewS)}`;
  const rig: Rig = await openRig(broker, id, { clock_skew_s: TOLERANCE_S }, () => Date.now() + skewS * 1000);
  const planner = await mqtt.connectAsync(broker.url, { clientId: `chaos-planner-${id}-${process.pid}`, clean: true });
  try {
    await rig.robot.connected();
    await sleep(300); // the bridge's subscription is in place once it reports connected; a margin for the broker
    const issuedAt = Date.now();
    const decisions = o.lifetimesS.map((l) =>
      signedDecision(id, {
        decisionId: `${id}-life${l}`,
        issuedAt,
        expiresAt: issuedAt + l * 1000,
      }),
    );
    const cases: Case[] = [];
    const answers = (decisionId: string): { accepted: number; reasons: string[] } => ({
      accepted: rig.robot.decisions.filter((d) => d.decision_id === decisionId).length,
      reasons: rig.far.events
        .filter((e) => e.type === 'decision_rejected' && e.decisionId === decisionId)
        .map((e) => e.json.reason as string),
    });
    // a copy's verdict is the answer that came after it was sent: an acceptance on ROS or a rejection event
    const verdict = (decisionId: string, before: { accepted: number; reasons: string[] }): Verdict | undefined => {
      const now = answers(decisionId);
      if (now.accepted > before.accepted) return 'accepted';
      return now.reasons[before.reasons.length];
    };
    for (const copy of [1, 2] as const) {
      const before = new Map(decisions.map((d) => [d.decisionId as string, answers(d.decisionId as string)]));
      const sentAt = Date.now();
      for (const d of decisions) await planner.publishAsync(rig.robot.topics.decision, JSON.stringify(d), { qos: 1 });
      const id = (d: Record<string, unknown>): string => d.decisionId as string;
      await waitFor(() => decisions.every((d) => verdict(id(d), before.get(id(d))!) !== undefined), 10_000);
      for (const d of decisions) {
        const first = cases.find((c) => c.lifetimeS === lifetimeOf(d) && c.copy === 1);
        cases.push({
          skewS,
          lifetimeS: lifetimeOf(d),
          copy,
          expected: documentedVerdict(
            d as { issuedAt: number; expiresAt: number },
            sentAt + skewS * 1000,
            first?.observed === 'accepted',
          ),
          observed: verdict(id(d), before.get(id(d))!),
        });
      }
      if (copy === 1) await sleep(o.replayAfterS * 1000);
    }
    return cases;
  } finally {
    await planner.endAsync(true);
    await rig.close();
  }
}

const lifetimeOf = (d: Record<string, unknown>): number => ((d.expiresAt as number) - (d.issuedAt as number)) / 1000;

/** Runs every skew in parallel (one robot each); the report counts verdicts by reason and the cases that differ from the docs. */
export async function skew(broker: TestBroker, o: SkewOptions): Promise<Record<string, unknown> & { pass: boolean }> {
  const started = Date.now();
  const cases = (await Promise.all(o.skewsS.map((s) => robotRun(broker, s, o)))).flat();
  const bySkew: Record<string, Record<string, number>> = {};
  for (const c of cases) {
    const k = `${c.skewS > 0 ? '+' : ''}${c.skewS} s`;
    const m = (bySkew[k] ??= {});
    const v = c.observed ?? 'no verdict';
    m[v] = (m[v] ?? 0) + 1;
  }
  const judged = cases.filter((c) => c.expected !== undefined);
  const differ = judged.filter((c) => c.observed !== c.expected);
  const unanswered = cases.filter((c) => c.observed === undefined);
  const checks: Record<string, Check> = {
    verdictsDifferingFromDocs: check(differ.length, '0', differ.length === 0),
    decisionsWithoutVerdict: check(unanswered.length, '0', unanswered.length === 0),
    casesJudged: check(
      judged.length,
      `>= ${Math.ceil(cases.length * 0.8)} (80 % of the cases)`,
      judged.length >= cases.length * 0.8,
    ),
  };
  return {
    experiment: 'clock skew: robot clocks off against the planner, decisions judged by the robot',
    broker: broker.kind,
    toleranceS: TOLERANCE_S,
    lifetimesS: o.lifetimesS,
    replayAfterS: o.replayAfterS,
    verdictsBySkew: bySkew,
    cases: cases.map(
      (c) =>
        `${c.skewS}s life ${c.lifetimeS}s copy ${c.copy}: ${c.observed ?? '-'} (docs: ${c.expected ?? 'too close to call'})`,
    ),
    differing: differ,
    wallS: Math.round((Date.now() - started) / 100) / 10,
    checks,
    pass: Object.values(checks).every((c) => c.pass),
  };
}

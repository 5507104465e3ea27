/**
 * Network sync for `--speed 0`: the simulation runs as fast as the machine goes, but MQTT runs on the
 * wall clock. Without a barrier a decision round trip (executive → bridge → broker → planner → broker
 * → bridge) takes as many 0.1 s steps as the event loop needs turns, 1–6 s of sim time under load, and
 * a bridge's reconnect lands wherever its wall-clock back-off ends. So after each step the runner
 * waits (wall time; sim time stands still) until, for every robot whose link is up:
 * - the planner has received every decision request the robot's executive has made;
 * - the robot's bridge has received every message the planner published on its decision topic;
 * - its bridge is connected again (after a link or broker outage).
 * Each wait is bounded: a message that will never arrive (a request dropped by a full outbox, a
 * decision whose session expired, a robot the broker refuses) costs one bounded wait and is then
 * forgiven, so the run never stalls. Pure: counts in, robots still waited for out.
 */

/** One robot as its shard sees it. */
export interface RobotFlow {
  id: string;
  /** [count] decision requests its executive published (ROS). */
  requests: number;
  /** [count] messages its bridge received on its own decision topic. */
  decisionsIn: number;
  /** Its bridge's MQTT session is up. */
  connected: boolean;
  /** Its link (the sim's proxy, its "Wi-Fi") is not cut. */
  linkUp: boolean;
}

/** One robot as the planner sees it. */
export interface PlannerFlow {
  /** [count] decision requests received from the robot. */
  requests: number;
  /** [count] messages published on the robot's decision topic. */
  decisions: number;
}

export interface SyncOptions {
  /** [ms] longest wall-clock wait for one request or decision in flight. */
  messageWaitMs: number;
  /** [ms] longest wall-clock wait for a bridge to reconnect once its link is up. */
  reconnectWaitMs: number;
}

export const DEFAULT_SYNC: SyncOptions = { messageWaitMs: 1000, reconnectWaitMs: 3000 };

/** What the barrier waited for over a run (in the report). */
export interface SyncTotals {
  /** Steps after which something was in flight. */
  waits: number;
  /** [s] wall time spent waiting. */
  waitedS: number;
  /** Messages or reconnects given up on after their bounded wait. */
  forgiven: number;
}

interface Debt {
  reqOffset: number;
  decOffset: number;
  /** The robot's reconnect was given up on; waited for again once it has connected. */
  reconnectForgiven: boolean;
}

type Why = 'request' | 'decision' | 'reconnect';

/** The barrier's bookkeeping for one run. */
export class NetworkSync {
  readonly totals: SyncTotals = { waits: 0, waitedS: 0, forgiven: 0 };
  private readonly debts = new Map<string, Debt>();

  constructor(private readonly o: SyncOptions = DEFAULT_SYNC) {}

  private debt(id: string): Debt {
    let d = this.debts.get(id);
    if (!d) this.debts.set(id, (d = { reqOffset: 0, decOffset: 0, reconnectForgiven: false }));
    return d;
  }

  /** What `r` is still waited for (none when the broker is down: nothing can move then). */
  private pendingFor(r: RobotFlow, p: PlannerFlow | undefined, brokerUp: boolean): Why | undefined {
    if (!brokerUp || !r.linkUp) return undefined;
    const d = this.debt(r.id);
    if (r.connected) d.reconnectForgiven = false;
    else return d.reconnectForgiven ? undefined : 'reconnect';
    if (!p) return undefined;
    if (r.requests - d.reqOffset > p.requests) return 'request';
    if (p.decisions - d.decOffset > r.decisionsIn) return 'decision';
    return undefined;
  }

  /** Robots still waited for, by id. */
  pending(
    robots: readonly RobotFlow[],
    planner: (id: string) => PlannerFlow | undefined,
    brokerUp: boolean,
  ): Map<string, Why> {
    const out = new Map<string, Why>();
    for (const r of robots) {
      const why = this.pendingFor(r, planner(r.id), brokerUp);
      if (why) out.set(r.id, why);
    }
    return out;
  }

  /** [ms] how long a wait for these reasons may last. */
  limitMs(pending: ReadonlyMap<string, Why>): number {
    for (const why of pending.values()) if (why === 'reconnect') return this.o.reconnectWaitMs;
    return this.o.messageWaitMs;
  }

  /** Gives up on what `pending` still waits for: its counts become the new baseline. */
  forgive(
    robots: readonly RobotFlow[],
    planner: (id: string) => PlannerFlow | undefined,
    pending: ReadonlyMap<string, Why>,
  ): void {
    for (const r of robots) {
      const why = pending.get(r.id);
      if (!why) continue;
      const d = this.debt(r.id);
      const p = planner(r.id);
      this.totals.forgiven++;
      if (why === 'reconnect') d.reconnectForgiven = true;
      else if (p) {
        d.reqOffset = Math.max(d.reqOffset, r.requests - p.requests);
        d.decOffset = Math.max(d.decOffset, p.decisions - r.decisionsIn);
      }
    }
  }

  /** Records one wait of `ms` wall time. */
  waited(ms: number): void {
    this.totals.waits++;
    this.totals.waitedS += ms / 1000;
  }
}

/**
 * Waits until nothing is in flight or the bounded wait ends (then forgives what is left). `poll` asks
 * the shards for fresh counts; it also yields to the event loop, so MQTT moves meanwhile.
 */
export async function syncNetwork(
  sync: NetworkSync,
  poll: () => Promise<RobotFlow[]>,
  planner: (id: string) => PlannerFlow | undefined,
  brokerUp: () => boolean,
  now: () => number = () => performance.now(),
): Promise<void> {
  const t0 = now();
  let spins = 0;
  for (;;) {
    const robots = await poll();
    const pending = sync.pending(robots, planner, brokerUp());
    if (pending.size === 0) break;
    if (now() - t0 >= sync.limitMs(pending)) {
      sync.forgive(robots, planner, pending);
      break;
    }
    // a few event-loop turns first (a loopback hop needs one or two), then 1 ms sleeps
    if (spins++ < 20) await new Promise((r) => setImmediate(r));
    else await new Promise((r) => setTimeout(r, 1));
  }
  const ms = now() - t0;
  if (spins > 0) sync.waited(ms);
}

/**
 * What lifecycle_manager decides, without ROS: the transitions each stack command asks of which node, in
 * which order (Nav2's lifecycle_manager order: configure all, then activate all; down in reverse), and
 * the bond watch (a heartbeat per active node, missed for longer than the timeout = the node is dead).
 */
import type { LifecycleState, LifecycleTransition } from '../core/graph/types';

/** The commands of the manager's services. */
export type StackCommand = 'startup' | 'pause' | 'resume' | 'reset' | 'shutdown';

export interface Step {
  node: string;
  transition: LifecycleTransition;
}

interface Phase {
  reverse: boolean;
  from: LifecycleState;
  transition: LifecycleTransition;
  to: LifecycleState;
}

const CONFIGURE: Phase = { reverse: false, from: 'unconfigured', transition: 'configure', to: 'inactive' };
const ACTIVATE: Phase = { reverse: false, from: 'inactive', transition: 'activate', to: 'active' };
const DEACTIVATE: Phase = { reverse: true, from: 'active', transition: 'deactivate', to: 'inactive' };
const CLEANUP: Phase = { reverse: true, from: 'inactive', transition: 'cleanup', to: 'unconfigured' };
const SHUTDOWN: Phase = { reverse: true, from: 'unconfigured', transition: 'shutdown', to: 'finalized' };

const PHASES: Readonly<Record<StackCommand, ReadonlyArray<Phase>>> = {
  startup: [CONFIGURE, ACTIVATE],
  pause: [DEACTIVATE],
  resume: [ACTIVATE],
  reset: [DEACTIVATE, CLEANUP],
  shutdown: [DEACTIVATE, CLEANUP, SHUTDOWN],
};

/**
 * The steps of `command` for nodes in bringup `order`, given each node's state now (a node already where
 * a phase takes it is skipped). Returns the steps in the order to run them.
 */
export function planSteps(
  command: StackCommand,
  order: ReadonlyArray<string>,
  states: Readonly<Record<string, LifecycleState>>,
): Step[] {
  const now = { ...states };
  const steps: Step[] = [];
  for (const phase of PHASES[command]) {
    const names = phase.reverse ? [...order].reverse() : order;
    for (const node of names) {
      if (now[node] !== phase.from) continue;
      steps.push({ node, transition: phase.transition });
      now[node] = phase.to;
    }
  }
  return steps;
}

/** The last segment of a node name (what a heartbeat carries): `/robot/safety_gate` -> `safety_gate`. */
export function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** Heartbeats of the nodes the manager activated; times in seconds. */
export class BondWatch {
  private last = new Map<string, number>();

  constructor(private readonly timeoutSec: number) {}

  /** Starts watching `names` (base names), as if each had just beaten at `nowSec`. */
  arm(names: ReadonlyArray<string>, nowSec: number): void {
    this.last = new Map(names.map((n) => [baseName(n), nowSec]));
  }

  /** Stops watching every node. */
  disarm(): void {
    this.last.clear();
  }

  /** Records a heartbeat of `name` at `nowSec` (ignored when not watched). */
  beat(name: string, nowSec: number): void {
    if (this.last.has(name)) this.last.set(name, nowSec);
  }

  /** The watched nodes silent for longer than the timeout at `nowSec`, with how long, in seconds. */
  expired(nowSec: number): Array<{ node: string; silentSec: number }> {
    const out: Array<{ node: string; silentSec: number }> = [];
    for (const [node, t] of this.last) if (nowSec - t > this.timeoutSec) out.push({ node, silentSec: nowSec - t });
    return out;
  }
}

/** The nodes startup cannot bring up: silent ones (no state) and finalized ones. */
export function cannotStart(order: ReadonlyArray<string>, states: Readonly<Record<string, LifecycleState>>): string[] {
  return order.filter((n) => states[n] === undefined || states[n] === 'finalized');
}

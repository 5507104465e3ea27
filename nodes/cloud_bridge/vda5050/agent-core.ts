/**
 * The shared core of the VDA 5050 vehicle (order-agent.ts, agent.ts): its types, the state it keeps (order,
 * action states, errors, pause, loads, the decisions in flight), reading it back as the order part of the VDA
 * state, and the bookkeeping both halves use (action states, errors, traversing a node, ending a cancel).
 * Pure: no MQTT, no ROS, no clock reads.
 */
import type { OrderCheckConfig } from './order-check';
import type {
  ActionState,
  ActionStatus,
  EdgeState,
  ErrorReference,
  Load,
  NodeState,
  OrderEdge,
  OrderNode,
  VdaAction,
  VdaError,
} from './types';

export interface AgentConfig extends OrderCheckConfig {
  /** [m/s] the profile's top speed: an edge's maxSpeed above it is driven at it. */
  maxSpeedMps: number;
  /** [m] deviation allowed when a node gives none (allowedDeviationXY absent or 0). */
  nodeDeviationM: number;
  /** [m] how far initPosition may lie from where the robot knows it is, to be confirmed. */
  initPositionToleranceM: number;
  /** [s] the dwell of one pick or drop. */
  loadHandlingS: number;
}

/** What the agent needs to know of the robot at each call. */
export interface RobotView {
  /** Map pose [m, m, rad] when known. */
  pose?: { x: number; y: number; theta: number };
  /** The input a person on site paused the robot with; '' when not paused. */
  localPause: string;
  /** Moving or turning now (VDA `driving`). */
  driving: boolean;
  /** The battery is being charged. */
  charging?: boolean;
}

/** A decision for the executive. Ids are unique for the bridge's life (and across restarts: the prefix). */
export type Command =
  | {
      kind: 'navigate';
      id: string;
      x: number;
      y: number;
      yaw: number;
      speedLimit: number;
      /** [m], [rad] the node's allowedDeviationXY / allowedDeviationTheta; absent: the executive's tolerances. */
      goalToleranceM?: number;
      yawToleranceRad?: number;
    }
  | { kind: 'dock'; id: string; x: number; y: number; yaw: number }
  | { kind: 'hold' | 'resume' | 'stop'; id: string };

/** A decision's outcome as the executive reports it (kizuna_msgs/DecisionStatus state names). */
export type Outcome =
  'accepted' | 'active' | 'succeeded' | 'rejected' | 'failed' | 'canceled' | 'expired' | 'preempted';

/** Effects of a call, for the bridge to carry out. */
export interface AgentOut {
  commands: Command[];
  /** Something a state must report changed (VDA: state on change). */
  stateChanged: boolean;
  /** A stateRequest or factsheetRequest asked for one now. */
  stateRequested: boolean;
  factsheetRequested: boolean;
  /** logReport actions (RUNNING) whose black_box capture the bridge must request. */
  logReports: string[];
}

/** What an order message did. */
export type OrderVerdict = 'accepted' | 'updated' | 'ignored' | 'rejected';

/** [count] errors kept at most (the oldest go first). */
const MAX_ERRORS = 16;
/** [count] action states kept at most: finished instant actions go first, then finished order actions. */
const MAX_ACTION_STATES = 200;

export const ref = (referenceKey: string, referenceValue: string | number): ErrorReference => ({
  referenceKey,
  referenceValue: String(referenceValue),
});

export const param = (a: VdaAction, key: string): unknown => a.actionParameters?.find((p) => p.key === key)?.value;
export const done = (s: ActionStatus): boolean => s === 'FINISHED' || s === 'FAILED';

export interface Order {
  orderId: string;
  orderUpdateId: number;
  /** Nodes not yet traversed, the next target first (horizon included). */
  nodes: OrderNode[];
  /** Edges not yet left: `edges[0]` leads to `nodes[0]`. */
  edges: OrderEdge[];
  /** The last node traversed (the robot stands on or past it). */
  last: OrderNode;
  /** Ended by cancelOrder or by a drive that failed: nothing of it runs any more. */
  ended: boolean;
  /** Its base was traversed and its actions done (counted once). */
  finished?: boolean;
}

export type Purpose =
  | { kind: 'drive'; node: OrderNode; edge: OrderEdge }
  | { kind: 'charge'; action: VdaAction }
  | { kind: 'hold'; actionId: string }
  | { kind: 'resume'; actionId: string }
  | { kind: 'stop' };

/** The state and bookkeeping shared by {@link OrderAgent} (order-agent.ts) and {@link VdaAgent} (agent.ts). */
export class AgentCore {
  protected order: Order | undefined;
  protected orderId = '';
  protected orderUpdateId = 0;
  protected lastNodeId = '';
  protected lastNodeSequenceId = 0;
  protected readonly actions = new Map<string, ActionState & { scope: 'order' | 'instant' }>();
  /** Node actions triggered and not yet run, in order. */
  protected queue: VdaAction[] = [];
  /** The node action running: a dwell (pick, drop) counts `leftS` down; startCharging waits for its DOCK decision. */
  protected running: { action: VdaAction; leftS: number; decisionId?: string } | undefined;
  protected drive: { id: string; node: OrderNode; edge: OrderEdge } | undefined;
  protected hold: { id: string; held: boolean } | undefined;
  protected cancel: { actionId: string; stopId?: string; stopDone: boolean } | undefined;
  protected readonly pending = new Map<string, Purpose>();
  protected errors: VdaError[] = [];
  protected paused = false;
  protected loadsHeld: Load[] = [];
  protected seq = 0;
  protected lastTickS: number | undefined;
  /** [count] orders taken, finished (base traversed, actions done), cancelled, ended by a failed drive; errors by type. */
  readonly counts = { ordersTaken: 0, ordersFinished: 0, ordersCancelled: 0, ordersFailed: 0 };
  readonly errorCounts = new Map<string, number>();
  protected out: AgentOut = {
    commands: [],
    stateChanged: false,
    stateRequested: false,
    factsheetRequested: false,
    logReports: [],
  };

  constructor(
    protected readonly cfg: AgentConfig,
    /** A prefix making decision ids unique across restarts (e.g. 8 random hex digits). */
    protected readonly idPrefix: string,
  ) {}

  // ---- reading

  /** The order part of the state: ids, node, edge and action states, errors, pause, loads. */
  view(): {
    orderId: string;
    orderUpdateId: number;
    lastNodeId: string;
    lastNodeSequenceId: number;
    nodeStates: NodeState[];
    edgeStates: EdgeState[];
    actionStates: ActionState[];
    errors: VdaError[];
    paused: boolean;
    newBaseRequest: boolean;
    loads: Load[];
  } {
    const o = this.order && !this.order.ended ? this.order : undefined;
    const released = o ? o.nodes.filter((n) => n.released).length : 0;
    const horizon = o ? o.nodes.some((n) => !n.released) : false;
    return {
      orderId: this.orderId,
      orderUpdateId: this.orderUpdateId,
      lastNodeId: this.lastNodeId,
      lastNodeSequenceId: this.lastNodeSequenceId,
      nodeStates: (o?.nodes ?? []).map((n) => ({
        nodeId: n.nodeId,
        sequenceId: n.sequenceId,
        released: n.released,
        ...(n.nodeDescription !== undefined ? { nodeDescription: n.nodeDescription } : {}),
        ...(n.nodePosition ? { nodePosition: n.nodePosition } : {}),
      })),
      edgeStates: (o?.edges ?? []).map((e) => ({
        edgeId: e.edgeId,
        sequenceId: e.sequenceId,
        released: e.released,
        ...(e.edgeDescription !== undefined ? { edgeDescription: e.edgeDescription } : {}),
      })),
      actionStates: [...this.actions.values()].map(({ scope: _s, ...a }) => a),
      errors: [...this.errors],
      paused: this.paused,
      newBaseRequest: horizon && released <= 1,
      loads: [...this.loadsHeld],
    };
  }

  /** Whether an order is still being carried out (base not yet done, or its actions not yet done). */
  get orderActive(): boolean {
    const o = this.order;
    if (!o || o.ended) return false;
    return o.nodes.some((n) => n.released) || this.queue.length > 0 || !!this.running || !!this.drive;
  }

  /** Empties and returns the effects gathered since the last drain. */
  drain(): AgentOut {
    const o = this.out;
    this.out = { commands: [], stateChanged: false, stateRequested: false, factsheetRequested: false, logReports: [] };
    return o;
  }

  protected addError(e: VdaError): void {
    this.errorCounts.set(e.errorType, (this.errorCounts.get(e.errorType) ?? 0) + 1);
    this.errors.push(e);
    if (this.errors.length > MAX_ERRORS) this.errors.splice(0, this.errors.length - MAX_ERRORS);
    this.out.stateChanged = true;
  }

  protected setAction(a: VdaAction, status: ActionStatus, scope: 'order' | 'instant', result?: string): void {
    const prev = this.actions.get(a.actionId);
    const s: ActionState & { scope: 'order' | 'instant' } = {
      actionId: a.actionId,
      actionType: a.actionType,
      actionStatus: status,
      scope: prev?.scope ?? scope,
    };
    if (a.actionDescription !== undefined) s.actionDescription = a.actionDescription;
    if (result !== undefined) s.resultDescription = result.slice(0, 256);
    if (prev && prev.actionStatus === status && prev.resultDescription === s.resultDescription) return;
    this.actions.set(a.actionId, s);
    this.out.stateChanged = true;
    if (this.actions.size > MAX_ACTION_STATES) {
      for (const scopeFirst of ['instant', 'order'] as const) {
        for (const [id, st] of this.actions) {
          if (this.actions.size <= MAX_ACTION_STATES) return;
          if (st.scope === scopeFirst && done(st.actionStatus)) this.actions.delete(id);
        }
      }
    }
  }

  /** Node `n` is reached: it leaves nodeStates (with the edge to it), its actions are triggered. */
  protected traverse(n: OrderNode): void {
    this.lastNodeId = n.nodeId;
    this.lastNodeSequenceId = n.sequenceId;
    this.queue.push(...n.actions);
    this.out.stateChanged = true;
  }

  protected finishCancel(robot: RobotView): void {
    const c = this.cancel;
    if (!c || this.drive || !c.stopDone || robot.driving) return;
    this.cancel = undefined;
    const a = this.actions.get(c.actionId);
    if (a)
      this.setAction({ actionId: a.actionId, actionType: 'cancelOrder', blockingType: 'HARD' }, 'FINISHED', 'instant');
  }

  protected newId(): string {
    return `vda-${this.idPrefix}-${++this.seq}`;
  }
}

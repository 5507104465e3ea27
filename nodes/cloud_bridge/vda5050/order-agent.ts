/**
 * The order side of the VDA 5050 2.0 vehicle as kizuna carries it out: orders (base and horizon,
 * orderUpdateId rules, stitching, node and edge states), node actions, action states and the order
 * errors, as a pure state machine; agent.ts adds the instant actions. No MQTT, no ROS, no clock reads:
 * time [s] is passed in, and what the robot must do goes out as commands the bridge turns into kizuna
 * decisions (NAVIGATE_TO, HOLD, RESUME, STOP), which the executive judges and carries out like any
 * decision from the national model (priority, local pause, geofence, the safety gate). Their outcomes
 * come back through `onDecision` (agent.ts).
 *
 * - a new order's first node must be where the robot stands (within its allowed deviation); it counts as
 *   traversed at once and its actions run; every further released node is one NAVIGATE_TO (edge maxSpeed →
 *   speed_limit); a node is traversed when that decision SUCCEEDED;
 * - pick and drop (the profiles with load stations) are the station's dwell: the robot stands still,
 *   `loadHandlingS`, as the factory task's load wait; a pause (startPause or a person's) freezes it (PAUSED);
 * - startCharging is a DOCK decision at the node (FINISHED once the battery charges); stopCharging finishes
 *   only when the robot is not charging (kizuna cannot switch a charger off); a failed one is an
 *   orderActionError and the order goes on;
 * - a drive the executive refuses or fails ends the order: its error stays in `errors` until a new order.
 */
import type { OrderProblem } from './order-check';
import { deviationOf, nodeTolerance, orderProblem, orderRefs } from './order-check';
import type { ErrorReference, OrderEdge, OrderNode, VdaAction, VdaOrder, Load } from './types';
import {
  AgentCore,
  done,
  param,
  ref,
  type Order,
  type OrderVerdict,
  type Outcome,
  type Purpose,
  type RobotView,
} from './agent-core';

export type { AgentConfig, AgentOut, Command, OrderVerdict, Outcome, RobotView } from './agent-core';

/** Orders, node actions and the drive loop; {@link VdaAgent} (agent.ts) adds instant actions. */
export class OrderAgent extends AgentCore {
  // ---- orders

  /**
   * An order that passed the schema. Refusals go into `errors` (and the order is not taken); the same
   * orderId and orderUpdateId again is ignored.
   */
  onOrder(o: VdaOrder, robot: RobotView): OrderVerdict {
    const cur = this.order;
    if (cur && o.orderId === cur.orderId) {
      if (o.orderUpdateId < cur.orderUpdateId) {
        return this.refuse({
          errorType: 'orderUpdateError',
          description: `orderUpdateId ${o.orderUpdateId} is older than ${cur.orderUpdateId}, the one in force: refused, the order goes on`,
          refs: orderRefs(o),
        });
      }
      if (o.orderUpdateId === cur.orderUpdateId) {
        this.out.stateChanged = true; // the master may not have seen the state that took it
        return 'ignored';
      }
    }
    const bad = orderProblem(o, this.cfg);
    if (bad) return this.refuse(bad);
    if (cur && o.orderId === cur.orderId) return this.update(cur, o);
    if (this.orderActive) {
      return this.refuse({
        errorType: 'orderUpdateError',
        description: `order '${cur!.orderId}' is still active: a new order is taken once it is done or cancelled`,
        refs: orderRefs(o),
      });
    }
    if (this.cancel) {
      return this.refuse({
        errorType: 'orderError',
        description: 'the cancelled order is still stopping: send the new order once cancelOrder is FINISHED',
        refs: orderRefs(o),
      });
    }
    const first = o.nodes[0]!;
    const p = first.nodePosition!;
    if (!robot.pose) {
      return this.refuse({
        errorType: 'noRouteError',
        description: 'the robot does not know where it is yet (positionInitialized false)',
        refs: [...orderRefs(o), ref('nodeId', first.nodeId)],
      });
    }
    const dist = Math.hypot(p.x - robot.pose.x, p.y - robot.pose.y);
    const dev = deviationOf(first, this.cfg.nodeDeviationM);
    if (dist > dev) {
      return this.refuse({
        errorType: 'noRouteError',
        description: `first node '${first.nodeId}' is ${dist.toFixed(2)} m from the robot; it must be within ${dev} m (where the robot stands)`,
        refs: [...orderRefs(o), ref('nodeId', first.nodeId)],
      });
    }
    // Taken: the previous order's action states and errors go (VDA: kept until a new order).
    this.actions.clear();
    this.errors = [];
    this.queue = [];
    this.order = {
      orderId: o.orderId,
      orderUpdateId: o.orderUpdateId,
      nodes: o.nodes.slice(1),
      edges: o.edges.slice(),
      last: first,
      ended: false,
    };
    this.orderId = o.orderId;
    this.orderUpdateId = o.orderUpdateId;
    this.addOrderActions(o.nodes, o.edges);
    this.counts.ordersTaken++;
    this.traverse(first);
    this.out.stateChanged = true;
    return 'accepted';
  }

  /** An update of the order in force (higher orderUpdateId): stitched at the end of its base. */
  protected update(cur: Order, o: VdaOrder): OrderVerdict {
    if (cur.ended) {
      return this.refuse({
        errorType: 'orderUpdateError',
        description: `order '${cur.orderId}' was cancelled or failed: it cannot be updated; send a new order`,
        refs: orderRefs(o),
      });
    }
    // The base as the robot has it: the last node traversed, then the released nodes still ahead.
    const base = [cur.last, ...cur.nodes.filter((n) => n.released)];
    const end = base[base.length - 1]!;
    const stitch = o.nodes[0]!;
    if (stitch.nodeId !== end.nodeId || stitch.sequenceId !== end.sequenceId) {
      return this.refuse({
        errorType: 'orderUpdateError',
        description: `the update starts at '${stitch.nodeId}' (${stitch.sequenceId}); the base ends at '${end.nodeId}' (${end.sequenceId})`,
        refs: [...orderRefs(o), ref('nodeId', stitch.nodeId)],
      });
    }
    const keptNodes = cur.nodes.filter((n) => n.released);
    const keptEdges = cur.edges.filter((e) => e.released);
    cur.nodes = [...keptNodes, ...o.nodes.slice(1)];
    cur.edges = [...keptEdges, ...o.edges];
    cur.orderUpdateId = o.orderUpdateId;
    this.orderUpdateId = o.orderUpdateId;
    this.errors = [];
    // The stitching node keeps what the first message said (section 6.6.2): its actions are not added again.
    this.addOrderActions(o.nodes.slice(1), o.edges);
    this.out.stateChanged = true;
    return 'updated';
  }

  protected refuse(p: OrderProblem): OrderVerdict {
    this.addError({
      errorType: p.errorType,
      errorLevel: 'WARNING',
      errorDescription: p.description,
      errorReferences: p.refs,
    });
    return 'rejected';
  }

  /** A message on the order topic that failed its schema or header checks (validationError). */
  onInvalidOrder(description: string, refs: ErrorReference[]): void {
    this.addError({
      errorType: 'validationError',
      errorLevel: 'WARNING',
      errorDescription: description,
      errorReferences: refs,
    });
  }

  /** A message on the instantActions topic that failed its schema or header checks. */
  onInvalidInstantActions(description: string, refs: ErrorReference[]): void {
    this.addError({
      errorType: 'validationError',
      errorLevel: 'WARNING',
      errorDescription: description,
      errorReferences: refs,
    });
  }

  protected addOrderActions(nodes: readonly OrderNode[], edges: readonly OrderEdge[]): void {
    for (const n of nodes) if (n.released) for (const a of n.actions) this.setAction(a, 'WAITING', 'order');
    for (const e of edges) if (e.released) for (const a of e.actions) this.setAction(a, 'WAITING', 'order');
  }

  protected driveOutcome(
    id: string,
    p: Extract<Purpose, { kind: 'drive' }>,
    outcome: Outcome,
    reason: string,
    message: string,
  ): void {
    if (outcome === 'accepted' || outcome === 'active') return;
    if (this.drive?.id === id) this.drive = undefined;
    const o = this.order;
    if (outcome === 'succeeded') {
      if (!o || o.ended || o.nodes[0] !== p.node) return;
      o.nodes.shift();
      o.edges.shift();
      o.last = p.node;
      this.traverse(p.node);
      return;
    }
    if (this.cancel) return; // the STOP of cancelOrder ended it
    if (outcome === 'rejected' && reason === 'LOCAL_PAUSE') return; // sent again once the person resumes
    if (!o || o.ended) return;
    const estop = reason === 'ESTOP' || reason === 'ESTOP_LATCHED';
    this.addError({
      errorType: outcome === 'rejected' ? 'orderError' : 'navigationError',
      errorLevel: estop ? 'FATAL' : 'WARNING',
      errorDescription:
        `driving to '${p.node.nodeId}' ${outcome}${reason ? ` (${reason})` : ''}${message ? `: ${message}` : ''}; the order ended`.slice(
          0,
          512,
        ),
      errorReferences: [...orderRefs(o), ref('nodeId', p.node.nodeId), ref('edgeId', p.edge.edgeId)],
    });
    this.counts.ordersFailed++;
    this.endOrder('order ended: driving failed');
  }

  /** Ends the order in force (nothing more of it runs); open actions FAILED. */
  protected endOrder(why: string): void {
    const o = this.order;
    if (!o) return;
    o.ended = true;
    o.nodes = [];
    o.edges = [];
    this.queue = [];
    this.running = undefined;
    for (const [, st] of this.actions) {
      if (st.scope === 'order' && !done(st.actionStatus)) {
        this.setAction(
          { actionId: st.actionId, actionType: st.actionType ?? '', blockingType: 'HARD' },
          'FAILED',
          'order',
          why,
        );
      }
    }
    this.out.stateChanged = true;
  }

  // ---- time

  /** Advances to `now` [s]: runs the current action, starts what comes next. */
  tick(now: number, robot: RobotView): void {
    const dt = this.lastTickS === undefined ? 0 : Math.max(0, now - this.lastTickS);
    this.lastTickS = now;
    this.finishCancel(robot);
    const r = this.running;
    if (r) {
      if (robot.localPause || this.paused) {
        this.setAction(r.action, 'PAUSED', 'order');
      } else {
        this.setAction(r.action, 'RUNNING', 'order');
        r.leftS -= dt;
        if (r.leftS <= 0) this.finishAction(r.action);
      }
    }
    const o = this.order;
    if (
      o &&
      !o.ended &&
      !o.finished &&
      o.nodes.length === 0 &&
      this.queue.length === 0 &&
      !this.running &&
      !this.drive
    ) {
      o.finished = true;
      this.counts.ordersFinished++;
    }
    if (!o || o.ended || this.running || this.drive || this.cancel || robot.localPause || this.paused) return;
    const next = this.queue.shift();
    if (next) {
      this.startAction(next, o, robot);
      return;
    }
    const n = o.nodes[0];
    const e = o.edges[0];
    if (!n || !e || !n.released || !e.released) return; // done, or waiting for the base to grow
    const from = o.last.nodePosition!;
    const to = n.nodePosition!;
    const yaw =
      to.theta ??
      (Math.hypot(to.x - from.x, to.y - from.y) > 1e-3
        ? Math.atan2(to.y - from.y, to.x - from.x)
        : (robot.pose?.theta ?? 0));
    const speedLimit = e.maxSpeed !== undefined ? Math.min(e.maxSpeed, this.cfg.maxSpeedMps) : 0;
    const id = this.newId();
    this.drive = { id, node: n, edge: e };
    this.pending.set(id, { kind: 'drive', node: n, edge: e });
    this.out.commands.push({ kind: 'navigate', id, x: to.x, y: to.y, yaw, speedLimit, ...nodeTolerance(n) });
  }

  /**
   * Starts node action `a`: pick and drop are a dwell; startCharging is a DOCK decision at the node (the
   * executive waits there until the battery charges, or fails NOT_CHARGING); stopCharging cannot switch a
   * charger off, so it only finishes when the robot is not charging.
   */
  protected startAction(a: VdaAction, o: Order, robot: RobotView): void {
    if (a.actionType === 'startCharging') {
      const p = o.last.nodePosition!;
      const id = this.newId();
      this.running = { action: a, leftS: Number.POSITIVE_INFINITY, decisionId: id };
      this.pending.set(id, { kind: 'charge', action: a });
      this.out.commands.push({ kind: 'dock', id, x: p.x, y: p.y, yaw: p.theta ?? robot.pose?.theta ?? 0 });
      this.setAction(a, 'RUNNING', 'order');
      return;
    }
    if (a.actionType === 'stopCharging') {
      if (robot.charging)
        this.actionFailed(a, 'kizuna cannot switch a charger off: charging ends when the robot drives off the dock');
      else this.setAction(a, 'FINISHED', 'order', 'not charging');
      return;
    }
    this.running = { action: a, leftS: this.cfg.loadHandlingS };
    this.setAction(a, 'RUNNING', 'order');
  }

  /** Node action `a` failed: FAILED with `why`, and an orderActionError; the order goes on. */
  protected actionFailed(a: VdaAction, why: string): void {
    if (this.running?.action === a) this.running = undefined;
    this.setAction(a, 'FAILED', 'order', why);
    const o = this.order;
    this.addError({
      errorType: 'orderActionError',
      errorLevel: 'WARNING',
      errorDescription: `${a.actionType} '${a.actionId}' failed: ${why}`.slice(0, 512),
      errorReferences: [...(o ? orderRefs(o) : []), ref('actionId', a.actionId), ref('actionType', a.actionType)],
    });
  }

  protected finishAction(a: VdaAction): void {
    this.running = undefined;
    const loadId = param(a, 'loadId');
    const loadType = param(a, 'loadType');
    if (a.actionType === 'pick') {
      const load: Load = {};
      if (typeof loadId === 'string') load.loadId = loadId;
      if (typeof loadType === 'string') load.loadType = loadType;
      this.loadsHeld.push(load);
      this.setAction(a, 'FINISHED', 'order', 'load picked (dwell at the station; kizuna has no load sensor)');
    } else if (a.actionType === 'drop') {
      const i = typeof loadId === 'string' ? this.loadsHeld.findIndex((l) => l.loadId === loadId) : -1;
      this.loadsHeld.splice(i >= 0 ? i : 0, 1);
      this.setAction(a, 'FINISHED', 'order', 'load dropped (dwell at the station; kizuna has no load sensor)');
    } else {
      this.setAction(a, 'FINISHED', 'order');
    }
  }
}

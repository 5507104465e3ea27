/**
 * What an order must be, beyond its schema, before this robot takes it (VDA 5050 2.0 section 6.6):
 * the graph (edges = nodes − 1, each edge joining its two nodes, sequenceIds increasing, the base a
 * released prefix), what kizuna can carry out (node positions on its map, no trajectories, no edge
 * actions, only the node actions its profile supports) and what its safety allows (every node and the
 * straight line between two nodes inside the geofence). Pure: the first problem found, as the VDA error
 * the robot reports, or undefined.
 */
import { insideGeofence } from '../../core/geofence';
import { MAX_GOAL_TOLERANCE_M, MAX_YAW_TOLERANCE_RAD, type GoalTolerance } from '../../core/goal-tolerance';
import type { ErrorReference, OrderEdge, OrderNode, VdaAction, VdaOrder } from './types';

/** An order refused: the VDA error fields. */
export interface OrderProblem {
  errorType: 'validationError' | 'orderError' | 'orderUpdateError' | 'noRouteError';
  description: string;
  refs: ErrorReference[];
}

/** What the checks need to know about this robot. */
export interface OrderCheckConfig {
  /** The map this robot localises in (`agvPosition.mapId`): nodes on another map are refused. */
  mapId: string;
  /** Action types this profile carries out on a node. */
  nodeActions: ReadonlySet<string>;
  /** [m] polygon x1,y1,x2,y2,... the robot must stay inside; empty: none. */
  geofence: readonly number[];
}

/** [m] how finely the line between two nodes is checked against the geofence. */
const FENCE_STEP_M = 0.25;

const ref = (referenceKey: string, referenceValue: string | number): ErrorReference => ({
  referenceKey,
  referenceValue: String(referenceValue),
});

/** The references every order error carries: which order and update. */
export function orderRefs(o: Pick<VdaOrder, 'orderId' | 'orderUpdateId'>): ErrorReference[] {
  return [ref('orderId', o.orderId), ref('orderUpdateId', o.orderUpdateId)];
}

const problem = (
  errorType: OrderProblem['errorType'],
  description: string,
  o: VdaOrder,
  ...refs: ErrorReference[]
): OrderProblem => ({ errorType, description, refs: [...orderRefs(o), ...refs] });

/** The graph's own rules (section 6.6.1): first problem or undefined. */
function graphProblem(o: VdaOrder): OrderProblem | undefined {
  const { nodes, edges } = o;
  if (nodes.length === 0) return problem('validationError', 'an order needs at least one node', o);
  if (edges.length !== nodes.length - 1) {
    return problem('validationError', `${nodes.length} nodes need ${nodes.length - 1} edges, not ${edges.length}`, o);
  }
  let lastSeq = -1;
  let horizon = false;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const e = i > 0 ? edges[i - 1]! : undefined;
    if (e) {
      const prev = nodes[i - 1]!;
      if (e.startNodeId !== prev.nodeId || e.endNodeId !== n.nodeId) {
        return problem(
          'validationError',
          `edge '${e.edgeId}' joins '${e.startNodeId}' to '${e.endNodeId}', not '${prev.nodeId}' to '${n.nodeId}'`,
          o,
          ref('edgeId', e.edgeId),
        );
      }
      if (e.sequenceId <= lastSeq) {
        return problem(
          'validationError',
          `edge '${e.edgeId}': sequenceId ${e.sequenceId} does not increase`,
          o,
          ref('edgeId', e.edgeId),
        );
      }
      lastSeq = e.sequenceId;
      if (e.released && (!prev.released || !n.released)) {
        return problem(
          'validationError',
          `edge '${e.edgeId}' is released but one of its nodes is not`,
          o,
          ref('edgeId', e.edgeId),
        );
      }
      if (e.released && horizon) {
        return problem(
          'validationError',
          `edge '${e.edgeId}' is released after the horizon began`,
          o,
          ref('edgeId', e.edgeId),
        );
      }
      if (!e.released) horizon = true;
    }
    if (n.sequenceId <= lastSeq) {
      return problem(
        'validationError',
        `node '${n.nodeId}': sequenceId ${n.sequenceId} does not increase`,
        o,
        ref('nodeId', n.nodeId),
      );
    }
    lastSeq = n.sequenceId;
    if (n.released && horizon) {
      return problem(
        'validationError',
        `node '${n.nodeId}' is released after the horizon began`,
        o,
        ref('nodeId', n.nodeId),
      );
    }
    if (!n.released) horizon = true;
  }
  if (!nodes[0]!.released)
    return problem('validationError', 'the first node is not released', o, ref('nodeId', nodes[0]!.nodeId));
  return undefined;
}

/** An action this robot cannot carry out where it stands, as the error to report. */
function actionProblem(
  o: VdaOrder,
  a: VdaAction,
  where: string,
  supported: ReadonlySet<string>,
): OrderProblem | undefined {
  if (supported.has(a.actionType)) return undefined;
  const list = [...supported].join(', ') || 'none';
  return problem(
    'orderError',
    `action not supported: '${a.actionType}' on ${where} (this robot carries out: ${list})`,
    o,
    ref('actionId', a.actionId),
    ref('actionType', a.actionType),
  );
}

function nodeProblem(o: VdaOrder, n: OrderNode, cfg: OrderCheckConfig): OrderProblem | undefined {
  const at = ref('nodeId', n.nodeId);
  const p = n.nodePosition;
  if (!p)
    return problem(
      'orderError',
      `node '${n.nodeId}' has no nodePosition: kizuna plans its own path to positions`,
      o,
      at,
    );
  if (p.mapId !== cfg.mapId) {
    return problem(
      'orderError',
      `node '${n.nodeId}' is on map '${p.mapId}'; this robot localises on '${cfg.mapId}'`,
      o,
      at,
    );
  }
  if (!insideGeofence(cfg.geofence, p.x, p.y)) {
    return problem('orderError', `node '${n.nodeId}' at (${p.x}, ${p.y}) lies outside the geofence`, o, at);
  }
  for (const a of n.actions) {
    const bad = actionProblem(o, a, `node '${n.nodeId}'`, cfg.nodeActions);
    if (bad) return bad;
  }
  return undefined;
}

function edgeProblem(
  o: VdaOrder,
  e: OrderEdge,
  from: OrderNode,
  to: OrderNode,
  cfg: OrderCheckConfig,
): OrderProblem | undefined {
  const at = ref('edgeId', e.edgeId);
  const cannot = (what: string): OrderProblem => problem('orderError', `edge '${e.edgeId}': ${what}`, o, at);
  if (e.trajectory !== undefined) return cannot('trajectory is not supported: kizuna plans its own path between nodes');
  if (e.rotationAllowed === false)
    return cannot('rotationAllowed false is not supported: kizuna may turn while it drives');
  if (e.orientation !== undefined && !(e.orientation === 0 && (e.orientationType ?? 'TANGENTIAL') === 'TANGENTIAL')) {
    return cannot('only orientation 0 TANGENTIAL (forwards) is supported: kizuna drives forwards along the edge');
  }
  if (e.maxRotationSpeed !== undefined)
    return cannot('maxRotationSpeed is not supported: kizuna cannot cap its turn rate per edge');
  if (e.maxSpeed !== undefined && !(e.maxSpeed > 0)) return cannot(`maxSpeed ${e.maxSpeed} is not above 0`);
  for (const a of e.actions) {
    const bad = actionProblem(o, a, `edge '${e.edgeId}'`, new Set());
    if (bad) return bad;
  }
  const a = from.nodePosition!;
  const b = to.nodePosition!;
  const steps = Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) / FENCE_STEP_M);
  for (let i = 1; i < steps; i++) {
    const x = a.x + ((b.x - a.x) * i) / steps;
    const y = a.y + ((b.y - a.y) * i) / steps;
    if (!insideGeofence(cfg.geofence, x, y)) {
      return cannot(
        `the line from '${from.nodeId}' to '${to.nodeId}' leaves the geofence near (${x.toFixed(2)}, ${y.toFixed(2)})`,
      );
    }
  }
  return undefined;
}

/**
 * The first reason this robot refuses `o` (schema already checked), or undefined. `fromIndex`: nodes and
 * edges before it are already known (an update's stitching node) and not checked again.
 */
export function orderProblem(o: VdaOrder, cfg: OrderCheckConfig): OrderProblem | undefined {
  const g = graphProblem(o);
  if (g) return g;
  for (let i = 0; i < o.nodes.length; i++) {
    const n = o.nodes[i]!;
    const bad = nodeProblem(o, n, cfg);
    if (bad) return bad;
    if (i > 0) {
      const e = edgeProblem(o, o.edges[i - 1]!, o.nodes[i - 1]!, n, cfg);
      if (e) return e;
    }
  }
  return undefined;
}

/** The allowed deviation [m] of node `n`: its own when above 0 (either spelling), else `fallbackM`. */
export function deviationOf(n: OrderNode, fallbackM: number): number {
  const p = n.nodePosition;
  const d = p?.allowedDeviationXY ?? p?.allowedDeviationXy ?? 0;
  return d > 0 ? d : fallbackM;
}

/**
 * The goal tolerances of the drive to node `n`: its allowedDeviationXY [m] (either spelling) and
 * allowedDeviationTheta [rad] where above 0 (capped at what the executive takes), else none (the
 * executive's own goal_tolerance_m / yaw_tolerance_rad).
 */
export function nodeTolerance(n: OrderNode): GoalTolerance {
  const p = n.nodePosition;
  const xy = p?.allowedDeviationXY ?? p?.allowedDeviationXy ?? 0;
  const theta = p?.allowedDeviationTheta ?? 0;
  return {
    ...(xy > 0 ? { goalToleranceM: Math.min(xy, MAX_GOAL_TOLERANCE_M) } : {}),
    ...(theta > 0 ? { yawToleranceRad: Math.min(theta, MAX_YAW_TOLERANCE_RAD) } : {}),
  };
}

/**
 * The robot as VDA 5050 2.0 reports it, from kizuna's own nodes: pose and velocity from perception's
 * WorldSummary (odometry or localisation), battery, the safety gate's e-stop latch, protective field
 * and local pause, health's faults as errors — plus the order part from the agent. Also the header
 * (per-topic headerId), connection, visualization and factsheet messages. Pure: times are passed in.
 */
import { MESSAGE_CONSTANTS } from '../../core/interfaces/generated';
import type { MessageOf } from '../../core/interfaces';
import type { DataPolicy } from '../policy';
import { roundTo } from '../policy';
import type { VdaAgent, RobotView } from './agent';
import { INSTANT_ACTIONS } from './agent';
import type { AgvPosition, ConnectionState, VdaError, VdaHeader, VdaInfo, VdaState, Velocity } from './types';

type WorldSummary = MessageOf<'kizuna_msgs/msg/WorldSummary'>;
type SafetyState = MessageOf<'kizuna_msgs/msg/SafetyState'>;
type HealthSummary = MessageOf<'kizuna_msgs/msg/HealthSummary'>;

const SS = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];
const FT = MESSAGE_CONSTANTS['kizuna_msgs/msg/Fault'];

/** The protocol version this bridge writes. */
export const VDA_VERSION = '2.0.0';

/** [m/s], [rad/s] below these the robot counts as standing (VDA `driving` false). */
const DRIVING_MPS = 0.01;
const TURNING_RPS = 0.02;

/** Headers with a headerId counted per topic (VDA: "defined per topic and incremented by 1 with each sent message"). */
export class Headers {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly manufacturer: string,
    private readonly serialNumber: string,
  ) {}

  /** The next header for `topic` at `nowMs` [ms since epoch]. */
  next(topic: string, nowMs: number): VdaHeader {
    const id = this.ids.get(topic) ?? 0;
    this.ids.set(topic, id + 1);
    return {
      headerId: id,
      timestamp: new Date(nowMs).toISOString(),
      version: VDA_VERSION,
      manufacturer: this.manufacturer,
      serialNumber: this.serialNumber,
    };
  }
}

const yawOf = (q: { x: number; y: number; z: number; w: number }): number =>
  Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z));

const finite = (...v: number[]): boolean => v.every(Number.isFinite);

/** What the bridge knows of the robot from its ROS inputs, read the VDA way. */
export class VdaPicture {
  private world: WorldSummary | undefined;
  private safety: SafetyState | undefined;
  private health: HealthSummary | undefined;

  constructor(private readonly mapId: string) {}

  onWorld(m: WorldSummary): void {
    this.world = m;
  }

  onSafety(m: SafetyState): void {
    this.safety = m;
  }

  onHealth(m: HealthSummary): void {
    this.health = m;
  }

  /** The agent's view of the robot. */
  robot(): RobotView {
    const w = this.world;
    const out: RobotView = {
      charging: this.world?.battery_valid === true && this.world.battery_charging,
      localPause: this.safety?.local_pause ? this.safety.local_pause_source || 'local' : '',
      driving: this.driving(),
    };
    if (w?.pose_valid) {
      const { x, y } = w.pose.position;
      const theta = yawOf(w.pose.orientation);
      if (finite(x, y, theta)) out.pose = { x, y, theta };
    }
    return out;
  }

  private driving(): boolean {
    const v = this.world?.velocity;
    if (!v) return false;
    return (
      Math.abs(v.linear.x) > DRIVING_MPS || Math.abs(v.linear.y) > DRIVING_MPS || Math.abs(v.angular.z) > TURNING_RPS
    );
  }

  /** agvPosition as the data policy allows it (precision 0: withheld), or undefined without a pose. */
  position(policy: DataPolicy): AgvPosition | undefined {
    const w = this.world;
    if (!w || policy.posePrecisionM <= 0) return undefined;
    const { x, y } = w.pose.position;
    const theta = yawOf(w.pose.orientation);
    if (!finite(x, y, theta)) return undefined;
    return {
      x: roundTo(x, policy.posePrecisionM),
      y: roundTo(y, policy.posePrecisionM),
      theta: roundTo(theta, 0.001),
      mapId: this.mapId,
      positionInitialized: w.pose_valid,
    };
  }

  /** velocity in the vehicle frame, unless the policy withholds it. */
  velocity(policy: DataPolicy): Velocity | undefined {
    const v = this.world?.velocity;
    if (!v || !policy.velocity || !finite(v.linear.x, v.linear.y, v.angular.z)) return undefined;
    return { vx: roundTo(v.linear.x, 0.001), vy: roundTo(v.linear.y, 0.001), omega: roundTo(v.angular.z, 0.001) };
  }

  /** The safety state: eStop MANUAL while the gate's e-stop is active or latched (a person resets it on the robot). */
  safetyState(): VdaState['safetyState'] {
    const s = this.safety;
    const estop = s?.state === SS.STATE_ESTOP || s?.estop_latched === true || this.world?.estop_active === true;
    const field =
      s?.state === SS.STATE_STOP &&
      (s.limiting_reason === SS.REASON_OBSTACLE || s.limiting_reason === SS.REASON_PERSON);
    return { eStop: estop ? 'MANUAL' : 'NONE', fieldViolation: field };
  }

  /** Errors of the robot itself: health's active faults (error and fatal severities FATAL, warnings WARNING). */
  faultErrors(policy: DataPolicy): VdaError[] {
    return (this.health?.faults ?? []).slice(0, 16).map((f) => {
      const e: VdaError = {
        errorType: f.code.slice(0, 64) || 'UNKNOWN',
        errorLevel: f.severity === FT.SEVERITY_WARN ? 'WARNING' : 'FATAL',
        errorReferences: [{ referenceKey: 'source', referenceValue: f.source.slice(0, 128) }],
      };
      if (policy.freeText && f.message) e.errorDescription = f.message.slice(0, 256);
      return e;
    });
  }

  /** What is worth knowing but is not an error: who holds a local pause, a battery not yet reported. */
  information(policy: DataPolicy): VdaInfo[] {
    const out: VdaInfo[] = [];
    const s = this.safety;
    if (s?.local_pause) {
      out.push({
        infoType: 'localPause',
        infoLevel: 'INFO',
        infoDescription: policy.pauseDetail
          ? `paused by a person on site (${s.local_pause_source || 'local'}): only a local resume releases it`
          : 'paused by a person on site: only a local resume releases it',
      });
    }
    if (!this.world?.battery_valid) {
      out.push({
        infoType: 'batteryUnknown',
        infoLevel: 'INFO',
        infoDescription: 'no battery state received yet: batteryCharge 0 is not a reading',
      });
    }
    return out;
  }

  /** The operating mode: MANUAL while teleop drives the robot, else AUTOMATIC. */
  operatingMode(): VdaState['operatingMode'] {
    return this.safety?.teleop_active ? 'MANUAL' : 'AUTOMATIC';
  }

  battery(): VdaState['batteryState'] {
    const w = this.world;
    if (!w?.battery_valid || !Number.isFinite(w.battery_percentage)) return { batteryCharge: 0, charging: false };
    const b: VdaState['batteryState'] = {
      batteryCharge: roundTo(Math.max(0, Math.min(100, w.battery_percentage * 100)), 0.1),
      charging: w.battery_charging,
    };
    if (Number.isFinite(w.battery_voltage) && w.battery_voltage > 0)
      b.batteryVoltage = roundTo(w.battery_voltage, 0.01);
    return b;
  }
}

/** The whole state message. `reportLoads`: this profile handles loads (pick/drop), so `loads` is reported. */
export function buildState(
  header: VdaHeader,
  agent: VdaAgent,
  pic: VdaPicture,
  policy: DataPolicy,
  reportLoads: boolean,
): VdaState {
  const a = agent.view();
  const robot = pic.robot();
  const s: VdaState = {
    ...header,
    orderId: a.orderId,
    orderUpdateId: a.orderUpdateId,
    lastNodeId: a.lastNodeId,
    lastNodeSequenceId: a.lastNodeSequenceId,
    driving: robot.driving,
    paused: a.paused || robot.localPause !== '',
    newBaseRequest: a.newBaseRequest,
    operatingMode: pic.operatingMode(),
    nodeStates: a.nodeStates,
    edgeStates: a.edgeStates,
    actionStates: a.actionStates,
    batteryState: pic.battery(),
    errors: [...a.errors, ...pic.faultErrors(policy)],
    information: pic.information(policy),
    safetyState: pic.safetyState(),
  };
  const pos = pic.position(policy);
  if (pos) s.agvPosition = pos;
  const vel = pic.velocity(policy);
  if (vel) s.velocity = vel;
  if (reportLoads) s.loads = a.loads;
  return s;
}

/**
 * What of a state counts as a change worth a message now (VDA 6.10: order, node, edge and action
 * states, errors, driving, paused, loads, operating mode, safety): everything but the header, the
 * position, the velocity and the battery (those go at the period, and position on visualization).
 */
export function changeKey(s: VdaState): string {
  const { headerId: _h, timestamp: _t, agvPosition: _p, velocity: _v, batteryState, ...rest } = s;
  return JSON.stringify({ ...rest, charging: batteryState.charging });
}

/** The visualization message: position and velocity only. */
export function buildVisualization(header: VdaHeader, pic: VdaPicture, policy: DataPolicy): Record<string, unknown> {
  const out: Record<string, unknown> = { ...header };
  const pos = pic.position(policy);
  if (pos) out.agvPosition = pos;
  const vel = pic.velocity(policy);
  if (vel) out.velocity = vel;
  return out;
}

/** The connection message. */
export function buildConnection(header: VdaHeader, state: ConnectionState): Record<string, unknown> {
  return { ...header, connectionState: state };
}

/** What the factsheet says of this robot's body and limits. */
export interface FactsheetFacts {
  profile: string;
  /** [m/s], [m/s²] */
  speedMax: number;
  accelerationMax: number;
  decelerationMax: number;
  /** [m] */
  length: number;
  width: number;
  heightMax: number;
  /** Node actions this profile carries out. */
  nodeActions: readonly string[];
  /** [s] */
  statePeriodS: number;
  visualizationPeriodS: number;
}

/** The factsheet: the six blocks the 2.0 factsheet schema of the VDA5050 repository requires, honestly filled. */
export function buildFactsheet(header: VdaHeader, f: FactsheetFacts): Record<string, unknown> {
  const NODE_ACTION_TEXT: Record<string, string> = {
    pick: 'pick at a station: the robot stands still while the load is handled (kizuna has no load handling device)',
    drop: 'drop at a station: the robot stands still while the load is handled (kizuna has no load handling device)',
    startCharging: 'the robot docks at the node and waits until it charges',
    stopCharging: 'finished when the robot is not charging; kizuna cannot switch a charger off',
  };
  const pickDrop = (t: string): Record<string, unknown> => ({
    actionType: t,
    actionDescription: NODE_ACTION_TEXT[t] ?? t,
    actionScopes: ['NODE'],
    ...(t === 'pick' || t === 'drop'
      ? {
          actionParameters: [
            { key: 'loadId', valueDataType: 'STRING', isOptional: true },
            { key: 'loadType', valueDataType: 'STRING', isOptional: true },
          ],
          resultDescription: 'load reported in state.loads from the action (not sensed)',
        }
      : {}),
  });
  const instant = (t: string): Record<string, unknown> => ({ actionType: t, actionScopes: ['INSTANT'] });
  return {
    ...header,
    typeSpecification: {
      seriesName: `kizuna-${f.profile}`,
      seriesDescription: `kizuna ${f.profile} robot (ROS 2), VDA 5050 through cloud_bridge`,
      agvKinematic: 'DIFF',
      agvClass: 'CARRIER',
      maxLoadMass: 0,
      localizationTypes: ['NATURAL'],
      navigationTypes: ['AUTONOMOUS'],
    },
    physicalParameters: {
      speedMin: 0,
      speedMax: f.speedMax,
      accelerationMax: f.accelerationMax,
      decelerationMax: f.decelerationMax,
      heightMin: 0,
      heightMax: f.heightMax,
      width: f.width,
      length: f.length,
    },
    protocolLimits: {
      maxStringLens: {},
      maxArrayLens: {},
      timing: {
        minOrderInterval: 0,
        minStateInterval: 0,
        defaultStateInterval: f.statePeriodS,
        ...(f.visualizationPeriodS > 0 ? { visualizationInterval: f.visualizationPeriodS } : {}),
      },
    },
    protocolFeatures: {
      optionalParameters: [
        { parameter: 'order.nodes.nodePosition', support: 'REQUIRED', description: 'kizuna drives to positions' },
      ],
      agvActions: [...f.nodeActions.map(pickDrop), ...INSTANT_ACTIONS.map(instant)],
    },
    agvGeometry: {},
    loadSpecification: {},
  };
}

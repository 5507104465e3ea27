/**
 * The onboard autonomy stack on one in-process graph with a manual clock: kinematic world, perception,
 * safety gate and executive, plus a probe node that plays the cloud bridge (decisions in, statuses,
 * requests and link state out). Used by the "done when" tests.
 */
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import type { RosNode } from '../../nodes/core/graph/types';
import type { MessageOf } from '../../nodes/core/interfaces';
import { createMessage } from '../../nodes/core/interfaces/validate';
import type { ParamValue } from '../../nodes/core/graph/params';
import { TOPICS } from '../../nodes/core/topics';
import { start as startGate } from '../../nodes/safety_gate/node';
import { start as startPerception } from '../../nodes/perception/node';
import { start as startExecutive } from '../../nodes/executive/node';
import { start as startHealth } from '../../nodes/health/node';
import { timeFromNs } from '../../nodes/core/graph/clock';
import { KinematicWorld, type WorldOptions } from './kinematic';

export type Decision = MessageOf<'kizuna_msgs/msg/Decision'>;
export type Status = MessageOf<'kizuna_msgs/msg/DecisionStatus'>;

export interface StackOptions {
  executive?: Record<string, ParamValue>;
  gate?: Record<string, ParamValue>;
  perception?: Record<string, ParamValue>;
  world?: WorldOptions;
  /** Also start the health node with these parameters. */
  health?: Record<string, ParamValue>;
  /** Publish BridgeStatus connected=true at 1 Hz (default true). */
  linkUp?: boolean;
}

const EVENTS_QOS = { reliability: 'reliable', durability: 'volatile', depth: 50 } as const;

export class Stack {
  readonly graph = new InProcessGraph({ clock: 'manual' });
  readonly world: KinematicWorld;
  readonly cloud: RosNode;
  readonly statuses: Status[] = [];
  readonly requests: Array<MessageOf<'kizuna_msgs/msg/DecisionRequest'>> = [];
  readonly decisions: Decision[] = [];
  readonly speedLimits: number[] = [];
  /** The nodes under test by name. */
  readonly nodes = new Map<string, RosNode>();
  linkUp: boolean;
  private readonly decisionPub;
  private seq = 0;

  constructor(o: StackOptions = {}) {
    this.world = new KinematicWorld(this.graph, o.world ?? {});
    this.linkUp = o.linkUp ?? true;
    const node = (name: string, overrides: Record<string, ParamValue>): RosNode => {
      const n = this.graph.createNode(name, { parameterOverrides: overrides });
      this.nodes.set(name, n);
      return n;
    };
    startGate(node('safety_gate', { people_enabled: false, max_linear_speed_mps: 1.0, ...o.gate }));
    startPerception(node('perception', { imu_timeout_s: 0, ...o.perception }));
    if (o.health) startHealth(node('health', o.health));
    startExecutive(
      node('executive', {
        profile: 'delivery',
        goal_frame: 'map',
        max_linear_speed_mps: 1.0,
        request_period_s: 5,
        cloud_timeout_s: 5,
        stall_timeout_s: 10,
        load_wait_s: 1,
        ...o.executive,
      }),
    );
    this.cloud = this.graph.createNode('cloud_bridge_probe');
    this.decisionPub = this.cloud.createPublisher('kizuna_msgs/msg/Decision', TOPICS.decision, EVENTS_QOS);
    this.cloud.createSubscription(
      'kizuna_msgs/msg/DecisionStatus',
      TOPICS.decisionStatus,
      (m) => this.statuses.push(m),
      EVENTS_QOS,
    );
    this.cloud.createSubscription(
      'kizuna_msgs/msg/DecisionRequest',
      TOPICS.decisionRequest,
      (m) => this.requests.push(m),
      EVENTS_QOS,
    );
    this.cloud.createSubscription(
      'kizuna_msgs/msg/Decision',
      TOPICS.decision,
      (m) => this.decisions.push(m),
      EVENTS_QOS,
    );
    this.cloud.createSubscription('std_msgs/msg/Float32', TOPICS.speedLimit, (m) => this.speedLimits.push(m.data), {
      reliability: 'reliable',
      durability: 'transient_local',
      depth: 1,
    });
    const bridge = this.cloud.createPublisher('kizuna_msgs/msg/BridgeStatus', TOPICS.bridgeStatus);
    this.cloud.createTimer(1.0, () => {
      const m = createMessage('kizuna_msgs/msg/BridgeStatus') as unknown as MessageOf<'kizuna_msgs/msg/BridgeStatus'>;
      m.connected = this.linkUp;
      m.mqtt_protocol_version = 5;
      bridge.publish(m);
    });
  }

  /** Seconds on the manual clock. */
  get now(): number {
    return Number(this.graph.clock.nowNs()) / 1e9;
  }

  /** Lets `sec` seconds pass in 10 ms steps. */
  async advance(sec: number): Promise<void> {
    const steps = Math.round(sec / 0.01);
    for (let i = 0; i < steps; i++) await this.graph.advance(0.01);
  }

  /** Advances until `check` holds or `maxSec` passed; resolves whether it held. */
  async until(check: () => boolean, maxSec: number): Promise<boolean> {
    for (let t = 0; t < maxSec; t += 0.1) {
      if (check()) return true;
      await this.advance(0.1);
    }
    return check();
  }

  /** Publishes a decision; fills id, source (cloud), priority 10 and the map frame unless given. */
  decide(partial: Partial<Decision> & { kind: number }): Decision {
    const d = createMessage('kizuna_msgs/msg/Decision') as unknown as Decision;
    d.decision_id = `d${++this.seq}`;
    d.source = 1;
    d.priority = 10;
    d.target.header.frame_id = 'map';
    d.target.pose.orientation.w = 1;
    d.issued_at = timeFromNs(this.graph.clock.nowNs());
    Object.assign(d, partial);
    this.decisionPub.publish(d);
    return d;
  }

  /** A PoseStamped target at (x, y, yaw) in the map frame. */
  static target(x: number, y: number, yaw = 0): Decision['target'] {
    return {
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'map' },
      pose: { position: { x, y, z: 0 }, orientation: { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) } },
    };
  }

  /** States reported for one decision, in order. */
  statesOf(id: string): number[] {
    return this.statuses.filter((s) => s.decision_id === id).map((s) => s.state);
  }

  lastStatusOf(id: string): Status | undefined {
    return this.statuses.filter((s) => s.decision_id === id).pop();
  }

  async shutdown(): Promise<void> {
    await this.graph.shutdown();
  }
}

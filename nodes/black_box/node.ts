/**
 * black_box: keeps the last seconds of the topics that explain an incident in a ring buffer and, on an
 * incident (protective stop, e-stop, collision, node fault, forged decision, or an operator's request
 * on `~/capture`), writes them and the next seconds to an MCAP file (store.ts). Wiring only: detection
 * and capture are logic.ts, the recording policy policy.ts.
 */
import { serveParameters } from '../core/runtime-params';
import type { LifecycleCallbacks, RosNode } from '../core/graph/types';
import { managedNode, type Resources } from '../core/managed';
import type { NodeDefinition } from '../core/runner';
import type { MessageOf, MessageTypeName } from '../core/interfaces';
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import { MESSAGES } from '../core/interfaces/definitions.generated';
import { ros2Type } from '../core/mcap/ros2';
import { kizunaVersion } from '../core/version';
import { errorText } from '../core/graph/callbacks';
import { captureReplyText } from '../core/black-box-capture';
import { heartbeatOf } from '../health/heartbeat';
import { paramsSchema, type Params } from './params';
import { BlackBox, IncidentDetector, secToNs, type Incident, type IncidentOutcome } from './logic';
import { minimisePeople, RECORDING_POLICIES, refusedType } from './policy';
import { defaultBlackBoxDir, IncidentWriter, type WrittenIncident } from './store';

const SS = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];
/** Subscriptions never hold a publisher back: best effort takes reliable and best-effort publishers alike. */
const QOS = { reliability: 'best_effort', durability: 'volatile', history: 'keep_last', depth: 50 } as const;

/** A running black box, for the sim and tests: what it wrote and a way to wait for the disk. */
export interface BlackBoxHandle {
  callbacks: LifecycleCallbacks;
  /** Every file completed so far, oldest first. */
  readonly written: readonly WrittenIncident[];
  /** Every incident seen, with what was done with it. */
  readonly incidents: ReadonlyArray<Incident & { outcome: IncidentOutcome }>;
  /** Ends the capture in progress (its file keeps what was recorded) and waits for every file to be complete. */
  flush(): Promise<void>;
}

/** Wires black_box onto `node`. */
export function startBlackBox(node: RosNode): BlackBoxHandle {
  const p = node.declareParameters(paramsSchema);
  serveParameters(node, paramsSchema, p, { settable: [] });
  const policy = RECORDING_POLICIES[p.profile];
  const dir = p.dir || defaultBlackBoxDir();
  const nowNs = (): bigint => node.clock.nowNs();
  const written: WrittenIncident[] = [];
  const incidents: Array<Incident & { outcome: IncidentOutcome }> = [];
  let current: { box: BlackBox; writer: IncidentWriter; active: boolean } | undefined;

  const callbacks = managedNode(node, {
    configure: (res) => {
      const writer = new IncidentWriter({
        dir,
        maxFiles: p.max_files,
        maxTotalBytes: p.max_total_bytes,
        library: `kizuna ${kizunaVersion()} black_box`,
        incidentTopic: node.resolveName('~/incidents'),
        loggerName: node.fullyQualifiedName.replace(/^\//, '').replace(/\//g, '.'),
        metadata: {
          node: node.fullyQualifiedName,
          namespace: node.namespace,
          profile: p.profile,
          kizuna_version: kizunaVersion(),
          pre_s: String(p.pre_s),
          post_s: String(p.post_s),
          policy: JSON.stringify(policy),
        },
        onWritten: (w) => {
          written.push(w);
          node.logger.warn(`black box: wrote ${w.path} (${w.messages} messages)`, { file: w.path });
          for (const f of w.pruned) node.logger.info(`black box: deleted ${f} (max_files / max_total_bytes)`);
        },
        onError: (err) =>
          node.logger.error(`black box: an incident file could not be written: ${errorText(err)}`, {
            code: 'KZ_ERR_MCAP_WRITE',
          }),
      });
      const box = new BlackBox(
        {
          preS: p.pre_s,
          postS: p.post_s,
          bufferMaxBytes: p.buffer_max_bytes,
          captureMaxBytes: p.capture_max_bytes,
          minIntervalS: p.min_interval_s,
        },
        writer,
      );
      const heartbeat = heartbeatOf(res, node.name, p.heartbeat_topic, p.heartbeat_period_s);
      const state = { box, writer, active: false, heartbeat };
      current = state;
      res.onClose(() => {
        box.finish();
        if (current === state) current = undefined;
      });
      wire(node, res, p, state, (i) => {
        const outcome: IncidentOutcome | 'inactive' = state.active ? box.incident(i) : 'inactive';
        if (outcome === 'inactive') return;
        incidents.push({ ...i, outcome });
        if (outcome === 'started')
          node.logger.warn(
            `black box: incident ${i.kind}: ${i.detail}; recording ${p.pre_s} s before, ${p.post_s} s after`,
          );
      });
      return state;
    },
    activate: (s, live: Resources) => {
      s.active = true;
      s.heartbeat.start(live);
      live.timer(p.tick_period_s, () => s.box.tick(nowNs()));
    },
    deactivate: (s) => {
      s.active = false;
      s.box.finish();
    },
  });

  // One service for the node's whole life (services are not per configuration): an operator's request.
  node.createService('std_srvs/srv/Trigger', '~/capture', () => {
    if (!current?.active) return { success: false, message: 'black_box is not active' };
    const i: Incident = { kind: 'operator_request', tNs: nowNs(), detail: 'requested over ~/capture' };
    const outcome = current.box.incident(i);
    incidents.push({ ...i, outcome });
    const capture = current.box.current;
    const file = capture && current.writer.fileOf(capture);
    if (!file) return { success: false, message: 'no capture started (the file writer did not take it)' };
    return {
      success: true,
      message: captureReplyText({ ...file, joined: outcome === 'joined' }, p.pre_s, p.post_s),
    };
  });

  // Destroying the node (kizuna run stopped, the graph shut down) ends the capture in progress: its file
  // is completed with what was recorded (the file work goes on after the node is gone).
  const destroy = node.destroy.bind(node);
  node.destroy = () => {
    current?.box.finish();
    destroy();
  };

  return {
    callbacks,
    written,
    incidents,
    flush: async () => {
      const c = current;
      if (!c) return;
      c.box.finish();
      await c.writer.idle();
    },
  };
}

type State = { box: BlackBox; active: boolean };

/** Subscribes to every recorded topic; messages go into the ring, the incident topics also to the detector. */
function wire(node: RosNode, res: Resources, p: Params, s: State, onIncident: (i: Incident) => void): void {
  const policy = RECORDING_POLICIES[p.profile];
  const nowNs = (): bigint => node.clock.nowNs();
  const detector = new IncidentDetector({
    stopMinSpeedMps: p.stop_min_speed_mps,
    faultMinSeverity: p.fault_min_severity,
    forgedReasons: p.forged_reasons,
    safety: SS,
    faultsFromNs: nowNs() + secToNs(p.startup_grace_s),
  });
  const seen = (i: Incident | undefined): void => {
    if (i) onIncident(i);
  };
  /** Records `topic` (every `periodS` at most), then hands the message on. */
  const record = <T extends MessageTypeName>(
    type: T,
    topic: string,
    then?: (m: MessageOf<T>, tNs: bigint) => void,
    periodS = 0,
    transform?: (m: MessageOf<T>) => unknown,
  ): void => {
    const why = refusedType(type, policy);
    if (why) {
      node.logger.warn(`black box: not recording ${topic} (${type}): ${why}`);
      return;
    }
    const codec = ros2Type(type);
    const name = node.resolveName(topic);
    const periodNs = secToNs(periodS);
    let lastNs: bigint | undefined;
    res.subscription(
      type,
      topic,
      (m) => {
        const tNs = nowNs();
        if (periodNs === 0n || lastNs === undefined || tNs - lastNs >= periodNs) {
          lastNs = tNs;
          s.box.record({ topic: name, type, tNs, data: codec.encode(transform ? transform(m) : m) });
        }
        then?.(m, tNs);
      },
      QOS,
    );
  };
  const twist = 'geometry_msgs/msg/Twist' as const;
  record(twist, p.cmd_vel_in_topic);
  record(twist, p.cmd_vel_out_topic, (m, t) => detector.onMotion(m.linear.x, t));
  record(
    'nav_msgs/msg/Odometry',
    p.odom_topic,
    (m, t) => detector.onMotion(m.twist.twist.linear.x, t),
    p.odom_period_s,
  );
  for (const t of p.scan_topics) record('sensor_msgs/msg/LaserScan', t, undefined, p.scan_period_s);
  record('kizuna_msgs/msg/SafetyState', p.safety_state_topic, (m, t) => seen(detector.onSafety(m, t)));
  record('kizuna_msgs/msg/WorldSummary', p.world_summary_topic);
  record('kizuna_msgs/msg/Decision', p.decision_topic);
  record('kizuna_msgs/msg/DecisionStatus', p.decision_status_topic);
  record('kizuna_msgs/msg/HealthSummary', p.health_topic, (m, t) => seen(detector.onHealth(m, t)));
  record('kizuna_msgs/msg/BridgeStatus', p.bridge_status_topic, (m, t) => seen(detector.onBridge(m, t)));
  record('std_msgs/msg/Bool', p.estop_topic);
  record('std_msgs/msg/Bool', p.bumper_topic, (m, t) => seen(detector.onBumper(m.data, t)));
  record('std_msgs/msg/Float32', p.speed_limit_topic);
  record('geometry_msgs/msg/PoseArray', p.people_topic, undefined, 0, (m) => minimisePeople(m, policy));
  for (const n of p.lifecycle_nodes) record('lifecycle_msgs/msg/TransitionEvent', `${n}/transition_event`);
  if (p.rosout_topic) {
    // /rosout carries every node's lines; only this robot's (its namespace's loggers) are kept.
    const prefix = node.namespace === '/' ? '' : `${node.namespace.slice(1).replace(/\//g, '.')}.`;
    const codec = ros2Type('rcl_interfaces/msg/Log');
    const name = node.resolveName(p.rosout_topic);
    res.subscription(
      'rcl_interfaces/msg/Log',
      p.rosout_topic,
      (m) => {
        if (prefix && !m.name.startsWith(prefix)) return;
        s.box.record({ topic: name, type: 'rcl_interfaces/msg/Log', tNs: nowNs(), data: codec.encode(m) });
      },
      QOS,
    );
  }
  for (const spec of p.extra_topics) {
    const at = spec.lastIndexOf('=');
    const topic = spec.slice(0, at);
    const type = spec.slice(at + 1);
    if (!(type in MESSAGES)) {
      node.logger.warn(`black box: not recording ${topic}: ${type} is not a message type kizuna knows`);
      continue;
    }
    record(type as MessageTypeName, topic);
  }
}

export const definition: NodeDefinition = { name: 'black_box', start: (node) => startBlackBox(node).callbacks };

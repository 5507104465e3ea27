/**
 * safety_gate: the only publisher of the base's cmd_vel. Re-evaluates on every scan, every command and
 * at control_rate_hz, publishes the gated twist, SafetyState on change (and every state_period_s), and
 * rejected inputs as diagnostics. Wiring only; the decision is in logic.ts.
 */
import type { LifecycleCallbacks, RosNode } from '../core/graph/types';
import type { NodeDefinition } from '../core/runner';
import type { MessageOf } from '../core/interfaces';
import { MESSAGE_CONSTANTS } from '../core/interfaces/generated';
import { timeToSec } from '../core/graph/clock';
import type { ErrorCode } from '../core/errors';
import { heartbeatOf } from '../health/heartbeat';
import { managedNode, type Resources } from '../core/managed';
import { mayDeactivate, type OdomSample } from './deactivate';
import { RUNTIME_SETTABLE, paramsSchema } from './params';
import { serveParameters } from '../core/runtime-params';
import { SafetyGate, type GateOutput } from './logic';
import { printable } from '../core/printable';

const D = MESSAGE_CONSTANTS['diagnostic_msgs/msg/DiagnosticStatus'];
/** Latched, reliable: a late-joining gate still gets the limit in force. */
const SPEED_LIMIT_QOS = { reliability: 'reliable', durability: 'transient_local', depth: 1 } as const;
/** Commands and e-stop: reliable, only the newest matters. */
const CONTROL_QOS = { reliability: 'reliable', durability: 'volatile', depth: 1 } as const;

/** Counters of rejected inputs, reported in diagnostics. */
interface Rejections {
  commands: number;
  scans: number;
  other: number;
  last: string;
  lastCode: ErrorCode | '';
  /** Rejections since the last diagnostics message. */
  fresh: number;
}

/**
 * Wires safety_gate onto `node`; returns its lifecycle callbacks. Configure creates the gate, its
 * subscriptions and publishers; activate starts the control loop, SafetyState, diagnostics and the
 * heartbeat; deactivate is refused while the base moves (deactivate.ts: the gate stays active and keeps
 * braking), otherwise it sends zero velocity before its publishers fall silent; shutdown from active
 * always sends the zero; cleanup drops it all.
 */
export function start(node: RosNode): LifecycleCallbacks {
  const p = node.declareParameters(paramsSchema, { settable: RUNTIME_SETTABLE });
  const nowSec = (): number => timeToSec(node.now());
  let reconfigure: (() => void) | undefined;
  serveParameters(node, paramsSchema, p, { settable: RUNTIME_SETTABLE, onChange: () => reconfigure?.() });
  return managedNode(node, {
    configure,
    activate: (s, live) => s.activate(live),
    deactivate: (s) => s.deactivate(),
    shutdownFromActive: (s) => s.stopBase(),
  });

  /** Creates the gate, subscriptions and publishers of one configuration. */
  function configure(res: Resources): {
    activate(live: Resources): void;
    deactivate(): 'success' | 'failure';
    stopBase(): void;
  } {
    const gate = new SafetyGate(p, nowSec());
    reconfigure = () => gate.reconfigure();
    res.onClose(() => {
      reconfigure = undefined;
    });
    const heartbeat = heartbeatOf(res, node.name, p.heartbeat_topic, p.heartbeat_period_s);
    let active = false;
    let lastOdom: OdomSample | undefined;

    const cmdPub = res.publisher('geometry_msgs/msg/Twist', p.cmd_out_topic, CONTROL_QOS);
    const statePub = res.publisher('kizuna_msgs/msg/SafetyState', p.safety_state_topic);
    const diagPub = res.publisher('diagnostic_msgs/msg/DiagnosticArray', p.diagnostics_topic);
    const cmd: MessageOf<'geometry_msgs/msg/Twist'> = { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } };
    const rej: Rejections = { commands: 0, scans: 0, other: 0, last: '', lastCode: '', fresh: 0 };
    const pose = { x: 0, y: 0, yaw: 0 };

    let lastPublished:
      | {
          state: number;
          reason: number;
          lin: number;
          ang: number;
          latched: boolean;
          teleop: boolean;
          timedOut: string[];
          obstacle: boolean;
          detail: string;
          /** limiting point, rounded to 0.1 m in base_link */
          lx: number;
          ly: number;
          /** path clear distance, rounded to 0.25 m */
          pc: number;
        }
      | undefined;
    let lastStateSec = Number.NEGATIVE_INFINITY;

    const publishState = (o: GateOutput, now: number, force: boolean): void => {
      const z = gate.zoneResult;
      const lin = Math.round(o.linearCap * 20) / 20;
      const ang = Math.round(o.angularCap * 20) / 20;
      const lp = gate.limitingPoint;
      const lx = lp ? Math.round(lp.x * 10) / 10 : 0;
      const ly = lp ? Math.round(lp.y * 10) / 10 : 0;
      const clear = gate.pathClearDistance;
      const pc = Math.round(clear * 4) / 4;
      const l = lastPublished;
      const changed =
        !l ||
        l.state !== o.state ||
        l.reason !== o.reason ||
        l.lin !== lin ||
        l.ang !== ang ||
        l.latched !== o.estopLatched ||
        l.teleop !== o.teleopActive ||
        l.timedOut !== o.timedOut ||
        l.detail !== o.detail ||
        l.lx !== lx ||
        l.ly !== ly ||
        l.pc !== pc ||
        l.obstacle !== z.obstacleDetected;
      if (!changed && !force) return;
      lastPublished = {
        state: o.state,
        reason: o.reason,
        lin,
        ang,
        latched: o.estopLatched,
        teleop: o.teleopActive,
        timedOut: o.timedOut,
        obstacle: z.obstacleDetected,
        detail: o.detail,
        lx,
        ly,
        pc,
      };
      lastStateSec = now;
      statePub.publish({
        header: { stamp: node.now(), frame_id: p.base_frame },
        state: o.state,
        linear_speed_cap: o.linearCap,
        angular_speed_cap: o.angularCap,
        estop_latched: o.estopLatched,
        local_pause: o.localPause !== '',
        local_pause_source: o.localPause,
        teleop_active: o.teleopActive,
        timed_out_sources: o.timedOut,
        obstacle_detected: z.obstacleDetected,
        nearest_obstacle_distance: z.nearestDistance,
        nearest_obstacle_bearing: z.nearestBearing,
        limiting_reason: o.reason,
        limiting_distance: lp ? Math.hypot(lp.x, lp.y) : 0,
        limiting_bearing: lp ? Math.atan2(lp.y, lp.x) : 0,
        path_clear_distance: clear,
        detail: o.detail,
      });
    };

    const publishDiagnostics = (otherCmdPublishers = 0): void => {
      if (!active) return;
      const o = gate.out;
      const level = rej.fresh > 0 ? D.WARN : D.OK;
      const output = {
        level: otherCmdPublishers > 0 ? D.ERROR : D.OK,
        name: `${node.name}: output`,
        message:
          otherCmdPublishers > 0
            ? `${otherCmdPublishers} other publisher(s) on ${cmdPub.topic} bypass the safety gate`
            : `only publisher on ${cmdPub.topic}`,
        hardware_id: '',
        values: [{ key: 'other_publishers', value: String(Math.max(0, otherCmdPublishers)) }],
      };
      diagPub.publish({
        header: { stamp: node.now(), frame_id: '' },
        status: [
          {
            level,
            name: `${node.name}: inputs`,
            message: rej.fresh > 0 ? `rejected input: ${rej.last}` : 'inputs accepted',
            hardware_id: '',
            values: [
              { key: 'rejected_commands', value: String(rej.commands) },
              { key: 'rejected_scans', value: String(rej.scans) },
              { key: 'rejected_other', value: String(rej.other) },
              { key: 'last_rejection', value: rej.last },
              { key: 'last_rejection_code', value: rej.lastCode },
              { key: 'state', value: String(o.state) },
            ],
          },
          output,
        ],
      });
      rej.fresh = 0;
    };

    /** Reports a rejected input: counter, warning log, and a diagnostics message right away. */
    const reject = (kind: 'commands' | 'scans' | 'other', code: ErrorCode, topic: string, why: string): void => {
      rej[kind]++;
      rej.fresh++;
      rej.last = `${node.resolveName(topic)}: ${why}`;
      rej.lastCode = code;
      node.logger.warn(rej.last, { code, entity: node.resolveName(topic) });
      publishDiagnostics(watch.publisherCount() - 1);
    };

    const evaluate = (): void => {
      if (!active) return;
      const now = nowSec();
      const o = gate.step(now);
      cmd.linear.x = o.vx;
      cmd.linear.y = o.vy;
      cmd.angular.z = o.wz;
      cmdPub.publish(cmd);
      publishState(o, now, now - lastStateSec >= p.state_period_s);
    };

    p.scan_topics.forEach((topic, index) => {
      res.subscription(
        'sensor_msgs/msg/LaserScan',
        topic,
        (scan) => {
          const why = gate.onScan(index, scan, nowSec());
          if (why !== undefined) reject('scans', 'KZ_ERR_SCAN_INVALID', topic, why);
          evaluate();
        },
        'sensor_data',
      );
    });
    res.subscription(
      'nav_msgs/msg/Odometry',
      p.odom_topic,
      (odom) => {
        const q = odom.pose.pose.orientation;
        pose.x = odom.pose.pose.position.x;
        pose.y = odom.pose.pose.position.y;
        pose.yaw = Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z));
        const now = nowSec();
        const why = gate.onOdom(odom.twist.twist, now, pose);
        if (why !== undefined) reject('other', 'KZ_ERR_INPUT_INVALID', p.odom_topic, why);
        else {
          const t = odom.twist.twist;
          lastOdom = { vx: t.linear.x, vy: t.linear.y, wz: t.angular.z, atSec: now };
        }
      },
      'sensor_data',
    );
    for (const [kind, topic] of [
      ['nav', p.cmd_in_topic],
      ['teleop', p.teleop_topic],
    ] as const) {
      res.subscription(
        'geometry_msgs/msg/Twist',
        topic,
        (twist) => {
          const why = gate.onCommand(kind, twist, nowSec());
          if (why !== undefined) reject('commands', 'KZ_ERR_CMD_INVALID', topic, why);
          else evaluate();
        },
        CONTROL_QOS,
      );
    }
    res.subscription(
      'std_msgs/msg/Bool',
      p.estop_topic,
      (m) => {
        gate.onEstop(m.data, nowSec());
        evaluate();
      },
      CONTROL_QOS,
    );
    res.subscription(
      'std_msgs/msg/Empty',
      p.estop_reset_topic,
      () => {
        const why = gate.onEstopReset(nowSec());
        if (why !== undefined) reject('other', 'KZ_ERR_ESTOP_RESET_REFUSED', p.estop_reset_topic, why);
        else node.logger.info('e-stop reset accepted; motion waits for a deliberate start');
        evaluate();
      },
      CONTROL_QOS,
    );
    // Local pause: a person on site wins over every decision (issue 18); only a local input resumes.
    let buttonDown = false;
    const localCommand = (pause: boolean, source: string, reason: string, topic: string): void => {
      const was = gate.out.localPause;
      if (pause) {
        gate.onLocalPause(source);
        if (was === '') node.logger.info(`paused by a person through '${source}'${reason ? `: ${reason}` : ''}`);
      } else {
        const why = gate.onLocalResume(source);
        if (why !== undefined) reject('other', 'KZ_ERR_LOCAL_RESUME_REFUSED', topic, why);
        else if (was !== '') node.logger.info(`resumed by a person through '${source}'`);
      }
      evaluate();
    };
    res.subscription(
      'std_msgs/msg/Bool',
      p.pause_button_topic,
      (m) => {
        const press = m.data && !buttonDown;
        buttonDown = m.data;
        if (press) localCommand(gate.out.localPause === '', 'button', '', p.pause_button_topic);
      },
      CONTROL_QOS,
    );
    res.subscription(
      'kizuna_msgs/msg/LocalCommand',
      p.local_command_topic,
      (m) => {
        const C = MESSAGE_CONSTANTS['kizuna_msgs/msg/LocalCommand'];
        const why =
          m.command !== C.COMMAND_PAUSE && m.command !== C.COMMAND_RESUME
            ? `command ${m.command} is neither PAUSE (1) nor RESUME (2)`
            : !/^[A-Za-z0-9_-]{1,32}$/.test(m.source)
              ? `source '${printable(m.source, 40)}' is not 1 to 32 letters, digits, _ and -`
              : undefined;
        if (why !== undefined) {
          reject('other', 'KZ_ERR_INPUT_INVALID', p.local_command_topic, why);
          // a malformed PAUSE still pauses: whoever pressed meant to stop the robot
          if (m.command === C.COMMAND_PAUSE) localCommand(true, 'unknown', '', p.local_command_topic);
          return;
        }
        localCommand(m.command === C.COMMAND_PAUSE, m.source, printable(m.reason, 120), p.local_command_topic);
      },
      CONTROL_QOS,
    );
    res.subscription(
      'std_msgs/msg/Float32',
      p.speed_limit_topic,
      (m) => {
        const why = gate.onSpeedLimit(m.data);
        if (why !== undefined) reject('other', 'KZ_ERR_INPUT_INVALID', p.speed_limit_topic, why);
      },
      SPEED_LIMIT_QOS,
    );
    // People at the detector's own rate (not through the summary's), in the base frame.
    res.subscription(
      'geometry_msgs/msg/PoseArray',
      p.people_topic,
      (m) => {
        const why =
          m.header.frame_id !== p.base_frame
            ? `people in frame '${m.header.frame_id}', not the configured '${p.base_frame}'`
            : gate.onPeople(m.poses, nowSec());
        if (why !== undefined) reject('other', 'KZ_ERR_INPUT_INVALID', p.people_topic, why);
      },
      'sensor_data',
    );
    res.subscription(
      'std_msgs/msg/Empty',
      p.motion_start_topic,
      () => {
        const wasLatched = gate.out.estopLatched;
        const why = gate.onMotionStart(nowSec());
        if (why !== undefined) reject('other', 'KZ_ERR_ESTOP_RESET_REFUSED', p.motion_start_topic, why);
        else if (wasLatched) node.logger.info('e-stop latch released by a deliberate start');
        evaluate();
      },
      CONTROL_QOS,
    );

    // No other node may drive the base: watch our own output topic for a second publisher. A best-effort
    // volatile subscription matches publishers of any reliability and durability.
    const watch = res.subscription('geometry_msgs/msg/Twist', p.cmd_out_topic, () => undefined, {
      reliability: 'best_effort',
      durability: 'volatile',
      depth: 1,
    });
    let rogueReported = false;

    const watchOutput = (): void => {
      const others = watch.publisherCount() - 1;
      if (others > 0 && !rogueReported) {
        node.logger.error(`${others} other publisher(s) on '${cmdPub.topic}': the safety gate must be the only one`, {
          code: 'KZ_ERR_CMD_BYPASS',
          entity: cmdPub.topic,
        });
      }
      rogueReported = others > 0;
      publishDiagnostics(others);
    };
    const stopBase = (): void => {
      cmdPub.publish({ linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } });
      node.logger.info(`leaving active: zero velocity sent on '${cmdPub.topic}'`);
    };
    return {
      activate(live) {
        active = true;
        live.timer(1 / p.control_rate_hz, evaluate);
        live.timer(p.state_period_s, watchOutput);
        heartbeat.start(live);
        evaluate();
      },
      deactivate() {
        const d = mayDeactivate(lastOdom, nowSec(), p);
        if (!d.allow) {
          node.logger.warn(`deactivate refused: ${d.why}; staying active and braking`, {
            code: 'KZ_ERR_LIFECYCLE_REFUSED',
          });
          return 'failure';
        }
        stopBase();
        active = false;
        return 'success';
      },
      stopBase() {
        stopBase();
        active = false;
      },
    };
  }
}

export const definition: NodeDefinition = { name: 'safety_gate', start };

/**
 * perception: condenses scans, odometry, battery, IMU, people detections, e-stop and diagnostics into a
 * kizuna_msgs/WorldSummary at rate_hz and on significant change. Wiring only; the model is in logic.ts.
 */
import type { LifecycleCallbacks, RosNode, Timer } from '../core/graph/types';
import { managedNode, type Resources } from '../core/managed';
import type { NodeDefinition } from '../core/runner';
import type { MessageOf } from '../core/interfaces';
import { timeToSec } from '../core/graph/clock';
import { faultMessage } from '../core/faults';
import type { ErrorCode } from '../core/errors';
import { heartbeatOf } from '../health/heartbeat';
import { RUNTIME_SETTABLE, paramsSchema } from './params';
import { serveParameters } from '../core/runtime-params';
import { Perception, significant, type Summary } from './logic';

/**
 * Wires perception onto `node`; returns its lifecycle callbacks. Configure subscribes and creates the
 * model, activate publishes the summary (at rate_hz and on change) and the heartbeat, deactivate stops
 * publishing (inputs are still taken in), cleanup drops the model and every subscription.
 */
export function start(node: RosNode): LifecycleCallbacks {
  const p = node.declareParameters(paramsSchema, { settable: RUNTIME_SETTABLE });
  const nowSec = (): number => timeToSec(node.now());
  /** The active period's rate timer, started again when rate_hz changes. */
  let restartRate: (() => void) | undefined;
  // thresholds are read from `p` as they are used; only the rate needs its timer started again
  serveParameters(node, paramsSchema, p, {
    settable: RUNTIME_SETTABLE,
    onChange: (changed) => {
      if (changed.includes('rate_hz')) restartRate?.();
    },
  });
  return managedNode(node, {
    configure,
    activate: (s, live) => s.activate(live),
    deactivate: (s) => s.deactivate(),
  });

  /** Creates the model, subscriptions and publishers of one configuration. */
  function configure(res: Resources): { activate(live: Resources): void; deactivate(): void } {
    const model = new Perception(p);
    let active = false;
    const heartbeat = heartbeatOf(res, node.name, p.heartbeat_topic, p.heartbeat_period_s);
    const pub = res.publisher('kizuna_msgs/msg/WorldSummary', p.world_summary_topic);
    let last: Summary | undefined;
    let lastSentSec = Number.NEGATIVE_INFINITY;
    const lastWarned = new Map<string, number>();

    /** Reports a dropped input once per second per topic. */
    const reject = (code: ErrorCode, topic: string, why: string): void => {
      const now = nowSec();
      if ((lastWarned.get(topic) ?? Number.NEGATIVE_INFINITY) > now - 1) return;
      lastWarned.set(topic, now);
      node.logger.warn(`${node.resolveName(topic)}: ${why}`, { code, entity: node.resolveName(topic) });
    };

    const publish = (s: Summary, now: number): void => {
      last = s;
      lastSentSec = now;
      const stamp = node.now();
      const msg: MessageOf<'kizuna_msgs/msg/WorldSummary'> = {
        header: { stamp, frame_id: s.frameId },
        pose: { position: s.position, orientation: s.orientation },
        pose_valid: s.poseValid,
        velocity: { linear: s.linear, angular: s.angular },
        obstacle_detected: s.obstacleDetected,
        nearest_obstacle_distance: s.obstacleDistance,
        nearest_obstacle_bearing: s.obstacleBearing,
        people_count: Math.min(s.peopleCount, 65535),
        nearest_person_distance: s.personDistance,
        nearest_person_bearing: s.personBearing,
        battery_valid: s.batteryValid,
        battery_percentage: s.batteryPercentage,
        battery_voltage: s.batteryVoltage,
        battery_charging: s.batteryCharging,
        estop_active: s.estopActive,
        sources: s.sources,
        faults: s.faults.map(faultMessage),
      };
      pub.publish(msg);
    };

    /** Publishes when the picture changed significantly (not more often than min_interval_s). */
    const onChange = (): void => {
      const now = nowSec();
      if (!active || now - lastSentSec < p.min_interval_s) return;
      const s = model.summary(now);
      if (significant(last, s, p)) publish(s, now);
    };

    p.scan_topics.forEach((topic, i) => {
      res.subscription(
        'sensor_msgs/msg/LaserScan',
        topic,
        (m) => {
          const why = model.onScan(i, m, nowSec());
          if (why !== undefined) reject('KZ_ERR_SCAN_INVALID', topic, why);
          onChange();
        },
        'sensor_data',
      );
    });
    if (model.uses('odom')) {
      res.subscription(
        'nav_msgs/msg/Odometry',
        p.odom_topic,
        (m) => {
          const why = model.onOdom(m, nowSec());
          if (why !== undefined) reject('KZ_ERR_INPUT_INVALID', p.odom_topic, why);
          onChange();
        },
        'sensor_data',
      );
    }
    if (model.uses('battery')) {
      res.subscription(
        'sensor_msgs/msg/BatteryState',
        p.battery_topic,
        (m) => {
          const why = model.onBattery(m, nowSec());
          if (why !== undefined) reject('KZ_ERR_INPUT_INVALID', p.battery_topic, why);
          onChange();
        },
        'sensor_data',
      );
    }
    if (model.uses('imu')) {
      res.subscription(
        'sensor_msgs/msg/Imu',
        p.imu_topic,
        (m) => {
          const why = model.onImu(m, nowSec());
          if (why !== undefined) reject('KZ_ERR_INPUT_INVALID', p.imu_topic, why);
          onChange();
        },
        'sensor_data',
      );
    }
    if (model.uses('people')) {
      res.subscription(
        'geometry_msgs/msg/PoseArray',
        p.people_topic,
        (m) => {
          const why = model.onPeople(
            m.poses.map((q) => q.position),
            m.header.frame_id,
            nowSec(),
          );
          if (why !== undefined) reject('KZ_ERR_INPUT_INVALID', p.people_topic, why);
          onChange();
        },
        'sensor_data',
      );
    }
    if (model.uses('estop')) {
      res.subscription(
        'std_msgs/msg/Bool',
        p.estop_topic,
        (m) => {
          model.onEstop(m.data, nowSec());
          onChange();
        },
        { reliability: 'reliable', durability: 'volatile', depth: 1 },
      );
    }
    res.subscription('diagnostic_msgs/msg/DiagnosticArray', p.diagnostics_topic, (m) => {
      model.onDiagnostics(m);
      onChange();
    });

    const tick = (): void => {
      const now = nowSec();
      publish(model.summary(now), now);
    };
    return {
      activate(live) {
        active = true;
        let timer: Timer = live.timer(1 / p.rate_hz, tick);
        restartRate = () => {
          timer.destroy();
          timer = live.timer(1 / p.rate_hz, tick);
        };
        heartbeat.start(live);
      },
      deactivate() {
        active = false;
        restartRate = undefined;
      },
    };
  }
}

export const definition: NodeDefinition = { name: 'perception', start };

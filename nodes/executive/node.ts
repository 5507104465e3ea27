/**
 * executive: carries out decisions from kizuna/decision through the safety gate, reports them as
 * DecisionStatus, asks for new decisions, and runs the profile's local fallback when the cloud is away.
 * Wiring only; the state machine is in logic.ts.
 */
import { serveParameters } from '../core/runtime-params';
import { randomUUID } from 'node:crypto';
import type { ClientGoalHandle, LifecycleCallbacks, RosNode } from '../core/graph/types';
import { managedNode, type Resources } from '../core/managed';
import type { NodeDefinition } from '../core/runner';
import { timeToSec } from '../core/graph/clock';
import { errorText } from '../core/graph/callbacks';
import { heartbeatOf } from '../health/heartbeat';
import { paramsSchema } from './params';
import { Executive, K, ST, type Outbox } from './logic';
import { yawOf } from './plan';
import { safetyView } from './safety-view';
import { Announcer, parseTemplates, type AnnouncementOut } from './announce';

const CONTROL_QOS = { reliability: 'reliable', durability: 'volatile', depth: 1 } as const;
const LATCHED_QOS = { reliability: 'reliable', durability: 'transient_local', depth: 1 } as const;
const EVENTS_QOS = { reliability: 'reliable', durability: 'volatile', depth: 50 } as const;

/**
 * Wires executive onto `node`; returns its lifecycle callbacks. Configure creates the state machine,
 * publishers and subscriptions; activate starts the control loop (commands, statuses, requests, Nav2
 * goals) and the heartbeat; deactivate cancels Nav2 goals in flight, sends one zero cmd_vel and stops
 * commanding (decisions are still taken in; their statuses go out on the next activate); cleanup drops it all.
 */
export function start(node: RosNode): LifecycleCallbacks {
  const p = node.declareParameters(paramsSchema);
  // ros2 param get/list/describe work; nothing changes while it runs (every parameter is read-only)
  serveParameters(node, paramsSchema, p, { settable: [] });
  const nowSec = (): number => timeToSec(node.now());
  // an action client cannot be destroyed: one for the node's life, whatever its configurations
  const nav2 =
    p.navigation_backend === 'nav2'
      ? node.createActionClient('nav2_msgs/action/NavigateToPose', p.nav2_action)
      : undefined;
  return managedNode(node, {
    configure,
    activate: (s, live) => s.activate(live),
    deactivate: (s) => s.deactivate(),
  });

  /** Creates the state machine, subscriptions and publishers of one configuration. */
  function configure(res: Resources): { activate(live: Resources): void; deactivate(): void } {
    const exec = new Executive(p, nowSec(), randomUUID);
    const heartbeat = heartbeatOf(res, node.name, p.heartbeat_topic, p.heartbeat_period_s);
    let active = false;

    const statusPub = res.publisher('kizuna_msgs/msg/DecisionStatus', p.decision_status_topic, EVENTS_QOS);
    const requestPub = res.publisher('kizuna_msgs/msg/DecisionRequest', p.decision_request_topic, EVENTS_QOS);
    const decisionPub = res.publisher('kizuna_msgs/msg/Decision', p.decision_topic, EVENTS_QOS);
    const cmdPub = res.publisher('geometry_msgs/msg/Twist', p.cmd_vel_topic, CONTROL_QOS);
    const limitPub = res.publisher('std_msgs/msg/Float32', p.speed_limit_topic, LATCHED_QOS);
    const startPub = res.publisher('std_msgs/msg/Empty', p.motion_start_topic, CONTROL_QOS);
    const announcePub = res.publisher('kizuna_msgs/msg/Announcement', p.announcement_topic, EVENTS_QOS);
    // the schema has checked the templates
    const announcer = new Announcer({
      ja: parseTemplates(p.announce_ja) as Map<string, string>,
      en: parseTemplates(p.announce_en) as Map<string, string>,
      minIntervalS: p.announce_min_interval_s,
      personM: p.announce_person_m,
      personIntervalS: p.announce_person_interval_s,
    });
    let movingV = 0;
    const announce = (a: AnnouncementOut | undefined): void => {
      if (!a || !active) return;
      const stamp = node.now();
      const t = a.target;
      announcePub.publish({
        header: { stamp, frame_id: '' },
        intent: a.intent,
        urgency: a.urgency,
        decision_id: a.decisionId,
        text_ja: a.ja,
        text_en: a.en,
        has_target: t !== undefined,
        target: {
          header: { stamp, frame_id: t?.frame ?? '' },
          pose: {
            position: { x: t?.x ?? 0, y: t?.y ?? 0, z: 0 },
            orientation: { x: 0, y: 0, z: Math.sin((t?.yaw ?? 0) / 2), w: Math.cos((t?.yaw ?? 0) / 2) },
          },
        },
      });
    };
    const goals = new Map<number, Promise<ClientGoalHandle<'nav2_msgs/action/NavigateToPose'> | undefined>>();

    const sendGoal = (token: number, goal: { x: number; y: number; yaw: number }): void => {
      if (!nav2) return;
      const pending = nav2
        .sendGoal(
          {
            pose: {
              header: { stamp: node.now(), frame_id: p.goal_frame },
              pose: {
                position: { x: goal.x, y: goal.y, z: 0 },
                orientation: { x: 0, y: 0, z: Math.sin(goal.yaw / 2), w: Math.cos(goal.yaw / 2) },
              },
            },
            behavior_tree: '',
          },
          (fb) => exec.onNavFeedback(token, fb.distance_remaining),
        )
        .then(
          (handle) => {
            handle.result().then(
              (outcome) => {
                goals.delete(token);
                const ok = outcome.status === 'succeeded';
                if (!ok) {
                  node.logger.warn(`Nav2 goal ${outcome.status}: ${outcome.result.error_msg}`, {
                    code: 'KZ_ERR_NAV_FAILED',
                  });
                }
                exec.onNavResult(
                  token,
                  ok,
                  `Nav2 goal ${outcome.status} (${outcome.result.error_code}) ${outcome.result.error_msg}`.trim(),
                  nowSec(),
                );
                flush();
              },
              (err: unknown) => {
                goals.delete(token);
                exec.onNavResult(token, false, `Nav2 result lost: ${errorText(err)}`, nowSec());
                flush();
              },
            );
            return handle;
          },
          (err: unknown) => {
            goals.delete(token);
            node.logger.warn(`Nav2 goal not accepted: ${errorText(err)}`, { code: 'KZ_ERR_NAV_FAILED' });
            exec.onNavResult(token, false, `Nav2 goal not accepted: ${errorText(err)}`, nowSec());
            flush();
            return undefined;
          },
        );
      goals.set(token, pending);
    };

    const cancelGoal = (token: number): void => {
      const pending = goals.get(token);
      goals.delete(token);
      void pending?.then((h) => h?.cancel().catch(() => false));
    };

    const flush = (): void => {
      // while inactive nothing goes out: the outbox waits for the next activate
      if (!active) return;
      const out: Outbox = exec.drain();
      const stamp = node.now();
      // the start goes out before the decision's first command, as the gate wants it
      for (let i = 0; i < out.motionStarts; i++) {
        node.logger.info('motion start sent: a new decision after an e-stop');
        startPub.publish({});
      }
      for (const s of out.statuses) {
        announce(announcer.onStatus(s, nowSec()));
        if (s.state === ST.STATE_REJECTED) {
          node.logger.warn(`decision '${s.decisionId}' rejected: ${s.reasonCode}: ${s.message}`, {
            code: 'KZ_ERR_DECISION_REJECTED',
            entity: s.decisionId,
          });
        }
        statusPub.publish({
          header: { stamp, frame_id: '' },
          decision_id: s.decisionId,
          kind: s.kind,
          source: s.source,
          state: s.state,
          reason_code: s.reasonCode,
          message: s.message,
          progress: s.progress,
          preempted_by: s.preemptedBy,
        });
      }
      for (const r of out.requests) {
        requestPub.publish({
          header: { stamp, frame_id: '' },
          request_id: r.requestId,
          reason: r.reason,
          last_decision_id: r.lastDecisionId,
          last_state: r.lastState,
          detail: r.detail,
        });
      }
      for (const d of out.decisions) {
        node.logger.info(`local fallback decision '${d.decisionId}' (kind ${d.kind})`);
        const t = d.target ?? { x: 0, y: 0, yaw: 0 };
        decisionPub.publish({
          header: { stamp, frame_id: '' },
          decision_id: d.decisionId,
          request_id: '',
          kind: d.kind,
          source: K.SOURCE_LOCAL_FALLBACK,
          priority: d.priority,
          target: {
            header: { stamp, frame_id: d.frameId },
            pose: {
              position: { x: t.x, y: t.y, z: 0 },
              orientation: { x: 0, y: 0, z: Math.sin(t.yaw / 2), w: Math.cos(t.yaw / 2) },
            },
          },
          speed_limit: 0,
          task_name: '',
          task_args: [],
          issued_at: stamp,
          expires_at: { sec: 0, nanosec: 0 },
        });
      }
      for (const c of out.nav) {
        if (c.type === 'goal') sendGoal(c.token, c.goal);
        else cancelGoal(c.token);
      }
      if (out.speedLimit !== undefined) limitPub.publish({ data: out.speedLimit });
    };

    res.subscription(
      'kizuna_msgs/msg/Decision',
      p.decision_topic,
      (d) => {
        announcer.onDecision(d);
        exec.onDecision(d, nowSec());
        flush();
      },
      EVENTS_QOS,
    );
    res.subscription('kizuna_msgs/msg/WorldSummary', p.world_summary_topic, (w) => {
      exec.onWorld(
        w.battery_valid,
        w.battery_percentage,
        w.battery_charging,
        w.people_count,
        w.nearest_person_distance,
      );
      const near =
        w.people_count > 0 && Number.isFinite(w.nearest_person_distance) ? w.nearest_person_distance : undefined;
      announce(announcer.onPerson(near, Math.abs(movingV) > 0.05, nowSec()));
    });
    res.subscription('kizuna_msgs/msg/SafetyState', p.safety_state_topic, (s) => {
      exec.onSafety(safetyView(s), nowSec());
      flush();
    });
    res.subscription('kizuna_msgs/msg/BridgeStatus', p.bridge_status_topic, (b) => {
      exec.onBridge(b.connected, nowSec());
    });
    res.subscription(
      'nav_msgs/msg/Odometry',
      p.odom_topic,
      (o) => {
        const q = o.pose.pose.orientation;
        const pos = o.pose.pose.position;
        if (![pos.x, pos.y, q.x, q.y, q.z, q.w].every(Number.isFinite)) return;
        const v = o.twist.twist.linear.x;
        exec.onPose({ x: pos.x, y: pos.y, yaw: yawOf(q) }, Number.isFinite(v) ? v : undefined);
      },
      'sensor_data',
    );

    const cmd = { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } };
    const control = (): void => {
      const { v, w } = exec.tick(nowSec());
      cmd.linear.x = v;
      cmd.angular.z = w;
      movingV = v;
      cmdPub.publish(cmd);
      flush();
    };
    return {
      activate(live) {
        active = true;
        live.timer(1 / p.control_rate_hz, control);
        heartbeat.start(live);
        flush();
      },
      deactivate() {
        // Nav2 stops driving; each goal's result comes back as canceled and reaches the state machine
        for (const token of [...goals.keys()]) cancelGoal(token);
        cmdPub.publish({ linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } });
        node.logger.info(`leaving active: motion commands stop, zero velocity sent on '${cmdPub.topic}'`);
        active = false;
      },
    };
  }
}

export const definition: NodeDefinition = { name: 'executive', start };

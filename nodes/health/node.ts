/**
 * health: watches heartbeats, aggregates diagnostics, perception faults and the cloud link into one
 * kizuna_msgs/HealthSummary for the bridge, on change and every period_s. Wiring only.
 */
import { serveParameters } from '../core/runtime-params';
import type { LifecycleCallbacks, RosNode } from '../core/graph/types';
import { managedNode, type Resources } from '../core/managed';
import type { NodeDefinition } from '../core/runner';
import { timeToSec } from '../core/graph/clock';
import { faultMessage } from '../core/faults';
import { paramsSchema } from './params';
import { HealthModel, healthChanged, type Health } from './logic';
import { heartbeatOf } from './heartbeat';

/**
 * Wires health onto `node`; returns its lifecycle callbacks. Configure subscribes and creates the model,
 * activate publishes the summary (on change and every period_s) and the heartbeat, deactivate stops them
 * (inputs are still taken in), cleanup drops the model and every subscription.
 */
export function start(node: RosNode): LifecycleCallbacks {
  const p = node.declareParameters(paramsSchema);
  // ros2 param get/list/describe work; nothing changes while it runs (every parameter is read-only)
  serveParameters(node, paramsSchema, p, { settable: [] });
  const nowSec = (): number => timeToSec(node.now());
  return managedNode(node, {
    configure: (res) => {
      const model = new HealthModel(p, nowSec());
      const pub = res.publisher('kizuna_msgs/msg/HealthSummary', p.health_topic);
      const heartbeat = heartbeatOf(res, node.name, p.heartbeat_topic, p.heartbeat_period_s);
      let last: Health | undefined;
      let active = false;

      const publish = (force: boolean): void => {
        if (!active) return;
        const h = model.evaluate(nowSec());
        if (!force && !healthChanged(last, h)) return;
        last = h;
        pub.publish({
          header: { stamp: node.now(), frame_id: '' },
          level: h.level,
          nodes_alive: h.alive,
          nodes_silent: h.silent,
          faults: h.faults.map(faultMessage),
        });
      };

      res.subscription('std_msgs/msg/String', p.heartbeat_topic, (m) => {
        model.onHeartbeat(m.data, nowSec());
        publish(false);
      });
      res.subscription('diagnostic_msgs/msg/DiagnosticArray', p.diagnostics_topic, (m) => {
        model.onDiagnostics(m.status, nowSec());
        publish(false);
      });
      res.subscription('kizuna_msgs/msg/WorldSummary', p.world_summary_topic, (m) => {
        model.onWorldFaults(m.faults, nowSec());
        publish(false);
      });
      res.subscription('kizuna_msgs/msg/BridgeStatus', p.bridge_status_topic, (m) => {
        model.onBridge(m.connected, nowSec());
        publish(false);
      });
      return {
        activate: (live: Resources): void => {
          active = true;
          last = undefined;
          live.timer(p.period_s, () => publish(true));
          heartbeat.start(live);
        },
        deactivate: (): void => {
          active = false;
        },
      };
    },
    activate: (s, live) => s.activate(live),
    deactivate: (s) => s.deactivate(),
  });
}

export const definition: NodeDefinition = { name: 'health', start };

/**
 * health: watches heartbeats, aggregates diagnostics, perception faults and the cloud link into one
 * kizuna_msgs/HealthSummary for the bridge, on change and every period_s. Wiring only.
 */
import { serveParameters } from '../core/runtime-params';
import type { RosNode } from '../core/graph/types';
import type { NodeDefinition } from '../core/runner';
import { timeFromNs, timeToSec } from '../core/graph/clock';
import { paramsSchema } from './params';
import { HealthModel, healthChanged, type Health } from './logic';
import { startHeartbeat } from './heartbeat';

/** Wires health onto `node`. */
export function start(node: RosNode): void {
  const p = node.declareParameters(paramsSchema);
  // ros2 param get/list/describe work; nothing changes while it runs (every parameter is read-only)
  serveParameters(node, paramsSchema, p, { settable: [] });
  const nowSec = (): number => timeToSec(node.now());
  const model = new HealthModel(p, nowSec());
  const pub = node.createPublisher('kizuna_msgs/msg/HealthSummary', p.health_topic);
  let last: Health | undefined;

  const publish = (force: boolean): void => {
    const h = model.evaluate(nowSec());
    if (!force && !healthChanged(last, h)) return;
    last = h;
    pub.publish({
      header: { stamp: node.now(), frame_id: '' },
      level: h.level,
      nodes_alive: h.alive,
      nodes_silent: h.silent,
      faults: h.faults.map((f) => ({
        code: f.code,
        source: f.source,
        severity: f.severity,
        message: f.message,
        since: timeFromNs(BigInt(Math.round(f.since * 1e9))),
      })),
    });
  };

  node.createSubscription('std_msgs/msg/String', p.heartbeat_topic, (m) => {
    model.onHeartbeat(m.data, nowSec());
    publish(false);
  });
  node.createSubscription('diagnostic_msgs/msg/DiagnosticArray', p.diagnostics_topic, (m) => {
    model.onDiagnostics(m.status, nowSec());
    publish(false);
  });
  node.createSubscription('kizuna_msgs/msg/WorldSummary', p.world_summary_topic, (m) => {
    model.onWorldFaults(m.faults, nowSec());
    publish(false);
  });
  node.createSubscription('kizuna_msgs/msg/BridgeStatus', p.bridge_status_topic, (m) => {
    model.onBridge(m.connected, nowSec());
    publish(false);
  });
  node.createTimer(p.period_s, () => publish(true));
  startHeartbeat(node, p.heartbeat_topic, p.heartbeat_period_s);
}

export const definition: NodeDefinition = { name: 'health', start };

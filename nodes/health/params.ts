/** Parameters of health, with units, defaults and ranges. */
import { z } from 'zod';
import { TOPICS } from '../core/topics';

const topic = (name: string, doc: string) => z.string().min(1).default(name).describe(doc);

export const paramsSchema = z.object({
  watched_nodes: z
    .array(z.string().min(1))
    .default(['perception', 'safety_gate', 'executive', 'cloud_bridge'])
    .describe('node names whose heartbeat must be fresh'),
  heartbeat_topic: topic(TOPICS.heartbeat, 'std_msgs/msg/String heartbeats in (and this node’s own out)'),
  diagnostics_topic: topic('diagnostics', 'diagnostic_msgs/msg/DiagnosticArray in'),
  world_summary_topic: topic(TOPICS.worldSummary, 'kizuna_msgs/msg/WorldSummary in (perception faults)'),
  bridge_status_topic: topic(TOPICS.bridgeStatus, 'kizuna_msgs/msg/BridgeStatus in (cloud link)'),
  health_topic: topic(TOPICS.health, 'kizuna_msgs/msg/HealthSummary out'),
  heartbeat_timeout_s: z.number().positive().max(60).default(3).describe('[s] a node silent this long is reported'),
  diagnostics_timeout_s: z
    .number()
    .positive()
    .max(600)
    .default(5)
    .describe('[s] a diagnostics entry not repeated this long is forgotten'),
  world_summary_timeout_s: z
    .number()
    .positive()
    .max(600)
    .default(2)
    .describe('[s] perception faults older than this are no longer listed'),
  link_down_warn_s: z
    .number()
    .min(0)
    .max(3600)
    .default(10)
    .describe('[s] cloud link down this long: CLOUD_LINK_DOWN (warn); 0 disables'),
  period_s: z.number().positive().max(60).default(1).describe('[s] HealthSummary period (also sent on change)'),
  heartbeat_period_s: z.number().positive().max(10).default(1).describe('[s] this node’s heartbeat period'),
});

export type Params = z.infer<typeof paramsSchema>;

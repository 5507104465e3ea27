/** Parameters of lifecycle_manager, with units, defaults and ranges. */
import { z } from 'zod';
import { TOPICS } from '../core/topics';

export const paramsSchema = z.object({
  node_names: z
    .array(z.string().min(1))
    .min(1)
    .default(['safety_gate', 'black_box', 'perception', 'health', 'executive', 'cloud_bridge'])
    .describe('managed nodes in bringup order (configured, then activated, in this order; brought down in reverse)'),
  autostart: z.boolean().default(true).describe('bring the stack up when the manager starts'),
  service_wait_s: z
    .number()
    .positive()
    .max(600)
    .default(30)
    .describe("[s] how long startup waits for each node's lifecycle services to appear"),
  transition_timeout_s: z
    .number()
    .positive()
    .max(600)
    .default(10)
    .describe('[s] how long one change_state call may take before it counts as failed'),
  deactivate_wait_s: z
    .number()
    .min(0)
    .max(120)
    .default(10)
    .describe('[s] a node refusing deactivate (the gate while the base moves) is asked again every 0.25 s this long'),
  polled_node_names: z
    .array(z.string().min(1))
    .default([])
    .describe(
      "managed nodes of node_names that publish no kizuna heartbeat (a robot maker's own rclpy or rclcpp lifecycle " +
        "node): the bond to each is its ~/get_state answering 'active', asked every min(bond_timeout_s / 4, 1 s)",
    ),
  heartbeat_topic: z
    .string()
    .min(1)
    .default(TOPICS.heartbeat)
    .describe('std_msgs/msg/String heartbeats in: the bond to each active node'),
  bond_timeout_s: z
    .number()
    .positive()
    .max(60)
    .default(4)
    .describe('[s] an active node without a heartbeat this long is taken as dead (Nav2 bond_timeout: 4 s)'),
  respawn_check_s: z
    .number()
    .positive()
    .max(60)
    .default(2)
    .describe(
      '[s] after a failure, how often the manager checks whether every node answers again to bring the stack back',
    ),
  diagnostics_topic: z
    .string()
    .min(1)
    .default('diagnostics')
    .describe("diagnostic_msgs/msg/DiagnosticArray out: the stack's state, for health"),
});

export type Params = z.infer<typeof paramsSchema>;

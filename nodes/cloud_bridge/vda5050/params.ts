/**
 * cloud_bridge's parameters for VDA 5050 (spread into params.ts). `protocol` chooses what the bridge
 * speaks; the rest only matter with `protocol: vda5050`. No profile file sets it: a site that runs a
 * VDA 5050 master control says so in its robot's parameter file (docs/vda5050.md, "Choosing the protocol").
 */
import { z } from 'zod';
import { BLACK_BOX_CAPTURE_SERVICE } from '../../core/black-box-capture';

const level = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, ".", "_" and "-", 1 to 64 characters');

export const PROTOCOLS = ['kizuna', 'vda5050'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const vdaParamsShape = {
  protocol: z
    .enum(PROTOCOLS)
    .default('kizuna')
    .describe(
      'what the bridge speaks on MQTT: kizuna (the national contract, docs/contract.md) or vda5050 (VDA 5050 2.0 with a master control, docs/vda5050.md)',
    ),
  vda5050_interface_name: level
    .default('uagv')
    .describe('VDA 5050: first topic level, <interfaceName>/v2/<manufacturer>/<serialNumber>/<topic>'),
  vda5050_manufacturer: level.default('kizuna').describe('VDA 5050: the manufacturer topic level and header field'),
  vda5050_serial_number: z
    .string()
    .regex(/^([A-Za-z0-9_.-]{1,64})?$/, 'letters, digits, ".", "_" and "-", up to 64 characters')
    .default('')
    .describe('VDA 5050: the serial number topic level and header field; empty: robot_id'),
  vda5050_map_id: z
    .string()
    .min(1)
    .max(64)
    .default('map')
    .describe('VDA 5050: agvPosition.mapId, and the only mapId an order node may name'),
  vda5050_state_period_s: z
    .number()
    .min(0.1)
    .max(30)
    .default(30)
    .describe('[s] VDA 5050: a state at least this often (the standard: at most 30 s), besides every change'),
  vda5050_state_min_interval_s: z
    .number()
    .min(0)
    .max(10)
    .default(0.1)
    .describe('[s] VDA 5050: least time between two states sent on change (changes in between go in the next)'),
  vda5050_visualization_period_s: z
    .number()
    .min(0)
    .max(60)
    .default(1)
    .describe('[s] VDA 5050: visualization (position, velocity) period; 0: none'),
  vda5050_node_deviation_m: z
    .number()
    .min(0.01)
    .max(10)
    .default(0.5)
    .describe(
      "[m] VDA 5050: how far the robot may stand from a new order's first node when the node gives no allowedDeviationXY",
    ),
  vda5050_init_position_tolerance_m: z
    .number()
    .min(0)
    .max(10)
    .default(0.5)
    .describe(
      '[m] VDA 5050: initPosition is confirmed when within this distance of where the robot localises itself, else FAILED (kizuna does not take its pose from the network)',
    ),
  vda5050_load_handling_s: z
    .number()
    .min(0)
    .max(3600)
    .default(20)
    .describe('[s] VDA 5050: how long a pick or drop holds the robot at the station (the profile task load wait)'),
  vda5050_priority: z
    .number()
    .int()
    .min(0)
    .max(255)
    .default(100)
    .describe(
      'VDA 5050: the priority of the decisions an order becomes (the executive refuses ones below its active decision)',
    ),
  vda5050_geofence: z
    .array(z.number().refine(Number.isFinite, 'finite'))
    .refine((a) => a.length === 0 || (a.length >= 6 && a.length % 2 === 0), '[] or at least 3 x,y pairs')
    .default([])
    .describe(
      "[m] VDA 5050: polygon x1,y1,x2,y2,... an order's nodes and the lines between them must lie in, else the order is refused whole before anything moves (set it to the executive's geofence, which still checks every goal); empty: none",
    ),
  vda5050_black_box_service: z
    .string()
    .min(1)
    .default(BLACK_BOX_CAPTURE_SERVICE)
    .describe(
      "VDA 5050: black_box's capture service (std_srvs/Trigger) a logReport calls; the incident file stays on the robot",
    ),
  vda5050_log_report_timeout_s: z
    .number()
    .min(0.1)
    .max(60)
    .default(5)
    .describe('[s] VDA 5050: how long a logReport waits for black_box to be there and answer before it FAILS'),
  vda5050_height_m: z
    .number()
    .min(0)
    .max(20)
    .default(0)
    .describe('[m] VDA 5050: the factsheet heightMax (0: not stated)'),
};

/**
 * Every robot profile in launch/params/ loads through the same path a node uses (ROS 2 parameter YAML →
 * overrides for the node's name → its zod schema), declares nothing the schema does not know, and
 * holds values plausible for its kind of robot.
 */
import { PROFILE_DEFAULTS } from '../../../sim/profile-defaults';
import { describe, it, expect } from '@jest/globals';
import { join } from 'node:path';
import type { z } from 'zod';
import { loadParamsFile, overridesForNode } from '../../../nodes/core/graph/ros-args';
import { resolveParameters, undeclaredOverrides } from '../../../nodes/core/graph/params';
import { PROFILE_NAMES, type ProfileName } from '../../../nodes/core/profiles';
import { paramsSchema as perceptionSchema } from '../../../nodes/perception/params';
import { paramsSchema as gateSchema } from '../../../nodes/safety_gate/params';
import { paramsSchema as executiveSchema } from '../../../nodes/executive/params';
import { paramsSchema as healthSchema } from '../../../nodes/health/params';
import { paramsSchema as bridgeSchema, PROFILE_MAX_SPEED_MPS } from '../../../nodes/cloud_bridge/params';
import { paramsSchema as blackBoxSchema } from '../../../nodes/black_box/params';
import { insideGeofence } from '../../../nodes/executive/plan';
import { InProcessGraph } from '../../../nodes/core/graph/inprocess/graph';
import type { RosNode } from '../../../nodes/core/graph/types';
import { launchNode } from '../../../nodes/core/runner';
import { NODES } from '../../../nodes/registry';
import { createLogger } from '../../../nodes/core/logging';
import { Writable } from 'node:stream';

type NodeName = 'perception' | 'safety_gate' | 'executive' | 'health' | 'cloud_bridge' | 'black_box';
const NO_CLI = { params: {}, nodeParams: {} };
const file = (profile: string): string => join(__dirname, '..', '..', '..', 'launch', 'params', `${profile}.yaml`);

function load(profile: ProfileName) {
  const blocks = loadParamsFile(file(profile));
  const parse = <S extends z.ZodObject>(name: NodeName, schema: S, robotOwn: Record<string, string> = {}) => {
    const overrides = { ...overridesForNode(blocks, NO_CLI, name, '/'), ...robotOwn };
    return { values: resolveParameters(schema, overrides, name), unknown: undeclaredOverrides(schema, overrides) };
  };
  return {
    blocks,
    perception: parse('perception', perceptionSchema),
    gate: parse('safety_gate', gateSchema),
    executive: parse('executive', executiveSchema),
    health: parse('health', healthSchema),
    // robot_id and fleet come from each robot's own file, not the profile
    bridge: parse('cloud_bridge', bridgeSchema, { robot_id: 'r1', fleet: 'f1' }),
    blackBox: parse('black_box', blackBoxSchema),
  };
}

describe.each(PROFILE_NAMES)('profile %s', (profile) => {
  it('loads and validates for every node, with no unknown keys', () => {
    const l = load(profile);
    expect(l.blocks.map((b) => b.pattern).sort()).toEqual([
      '/black_box',
      '/cloud_bridge',
      '/executive',
      '/health',
      '/perception',
      '/safety_gate',
    ]);
    for (const n of [l.perception, l.gate, l.executive, l.health, l.bridge, l.blackBox]) expect(n.unknown).toEqual([]);
    expect(l.executive.values.profile).toBe(profile);
    expect(l.bridge.values.profile).toBe(profile);
    expect(l.blackBox.values.profile).toBe(profile);
  });

  it('is consistent across nodes and physically plausible', () => {
    const { perception: pc, gate: g, executive: ex } = load(profile);
    const p = pc.values;
    const gv = g.values;
    const e = ex.values;
    // the executive's maximum is the gate's, so a capped limit is what the gate allows
    expect(e.max_linear_speed_mps).toBe(gv.max_linear_speed_mps);
    // the bridge refuses decisions faster than the gate would let the robot go, in the file and by default
    expect(load(profile).bridge.values.max_speed_mps).toBe(gv.max_linear_speed_mps);
    expect(PROFILE_MAX_SPEED_MPS[profile]).toBe(gv.max_linear_speed_mps);
    expect(p.scan_topics).toEqual(gv.scan_topics);
    // black_box records every lidar perception reads, and health watches its heartbeat
    const l = load(profile);
    expect(l.blackBox.values.scan_topics).toEqual(p.scan_topics);
    expect(l.health.values.watched_nodes).toContain('black_box');
    expect(p.scan_frames).toEqual(gv.scan_frames);
    expect(p.scan_poses).toEqual(gv.scan_poses);
    // the gate brakes harder than the comfort ramp, and no harder than the simulated motors can
    expect(gv.braking_decel_mps2).toBeGreaterThanOrEqual(gv.max_linear_decel_mps2);
    const motors = PROFILE_DEFAULTS[profile].limits;
    expect(gv.braking_decel_mps2).toBeLessThanOrEqual(motors.linearDecelMps2);
    expect(gv.braking_angular_decel_rps2).toBeLessThanOrEqual(motors.angularAccelRadps2);
    expect(gv.stop_margin_m).toBeLessThan(gv.slowdown_margin_m);
    expect(gv.people_blind_speed_mps).toBeLessThan(gv.max_linear_speed_mps);
    // ISO 13855's walking speed at least, and a guaranteed obstacle width stated
    expect(gv.separation_k_mps).toBeGreaterThanOrEqual(1.6);
    expect(gv.min_obstacle_width_m).toBeGreaterThanOrEqual(0);
    // the dock lies inside the geofence
    expect(insideGeofence(e.geofence, e.dock_pose[0]!, e.dock_pose[1]!)).toBe(true);
  });
});

describe('profiles launched', () => {
  it.each(PROFILE_NAMES)(
    'starts all four autonomy nodes of %s from its file on the in-process graph',
    async (profile) => {
      const lines: Array<Record<string, unknown>> = [];
      const logger = createLogger({
        json: true,
        level: 'debug',
        stream: new Writable({
          write: (c, _e, cb) => {
            lines.push(JSON.parse(String(c)) as Record<string, unknown>);
            cb();
          },
        }),
      });
      const graph = new InProcessGraph({ clock: 'manual', logger });
      const l = load(profile);
      try {
        const started = new Map<string, RosNode>();
        for (const name of ['perception', 'safety_gate', 'executive', 'health']) {
          const { node } = await launchNode(NODES[name]!, {
            into: { graph, logger },
            argv: ['--ros-args', '--params-file', file(profile)],
          });
          started.set(name, node);
        }
        expect(started.get('safety_gate')!.getParameter('max_linear_speed_mps')).toBe(
          l.gate.values.max_linear_speed_mps,
        );
        expect(started.get('safety_gate')!.getParameter('scan_poses')).toEqual(l.gate.values.scan_poses);
        expect(started.get('executive')!.getParameter('profile')).toBe(profile);
        expect(started.get('executive')!.getParameter('fallback_policy')).toBe(l.executive.values.fallback_policy);
        await graph.advance(0.5);
        // no typo'd keys, no node failing to start its callbacks
        expect(
          lines.filter((x) => x.code === 'KZ_ERR_PARAM_UNDECLARED' || x.code === 'KZ_ERR_CALLBACK_FAILED'),
        ).toEqual([]);
      } finally {
        await graph.shutdown();
      }
    },
  );
});

describe('profiles compared', () => {
  it('keeps the care robot the slowest and gentlest, the farm robot the widest-ranging', () => {
    const all = Object.fromEntries(PROFILE_NAMES.map((p) => [p, load(p)]));
    const max = (p: ProfileName) => all[p]!.gate.values.max_linear_speed_mps;
    for (const p of PROFILE_NAMES) if (p !== 'care') expect(max('care')).toBeLessThan(max(p));
    expect(all.care!.gate.values.max_linear_accel_mps2).toBeLessThanOrEqual(0.3);
    expect(all.care!.gate.values.people_enabled).toBe(true);
    const fenceSpan = (p: ProfileName) => Math.max(...all[p]!.executive.values.geofence);
    expect(fenceSpan('farm')).toBeGreaterThan(fenceSpan('care'));
    expect(all.farm!.executive.values.fallback_policy).toBe('return_to_dock');
  });
});

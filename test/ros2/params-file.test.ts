/**
 * A `--params-file` in ROS 2 YAML read by kizuna and by rcl: the overrides rcl's own parser gives an rclpy
 * node of the same name equal what kizuna's parser gives, and rclpy's parameter services on the rclnodejs
 * node show the values kizuna declared.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { createRclnodejsGraph } from '../../nodes/core/graph/rclnodejs/graph';
import type { RosGraph } from '../../nodes/core/graph/types';
import { loadParamsFile, overridesForNode, parseRosArgs } from '../../nodes/core/graph/ros-args';
import { launchNode, type NodeDefinition } from '../../nodes/core/runner';
import { createLogger } from '../../nodes/core/logging';
import { describeWithRos } from './support/gate';
import { RclpyPeer } from './support/peer';

const NS = `/params${process.pid}`;
const NAME = 'param_node';

// Wildcard, exact-node and other-node blocks; every parameter type; `max_speed_mps: 2` is an integer
// literal for a double parameter.
const YAML = `
/**:
  ros__parameters:
    robot_id: r7
    max_speed_mps: 0.5
    enabled: false
${NS}/${NAME}:
  ros__parameters:
    max_speed_mps: 2
    rate_hz: 20
    enabled: true
    gains: [0.5, 1.25]
    ids: [1, 2, 3]
    names: [front, rear]
    flags: [true, false]
/${NAME}:
  ros__parameters:
    rate_hz: 99
`;

const schema = z.object({
  robot_id: z.string().min(1).describe('fleet-unique robot id (required)'),
  max_speed_mps: z.number().min(0).max(3).default(1).describe('[m/s] speed cap'),
  rate_hz: z.number().int().positive().default(10).describe('[Hz] rate'),
  enabled: z.boolean().default(false).describe('on/off'),
  gains: z.array(z.number()).default([1]).describe('[1] gains'),
  ids: z.array(z.number().int()).default([]).describe('ids'),
  names: z.array(z.string()).default([]).describe('names'),
  flags: z.array(z.boolean()).default([]).describe('flags'),
});

const paramNode: NodeDefinition = {
  name: NAME,
  start(node) {
    node.declareParameters(schema);
  },
};

// rcl_interfaces/msg/ParameterType
const TYPE_NAMES: Record<number, string> = {
  1: 'bool',
  2: 'integer',
  3: 'double',
  4: 'string',
  6: 'bool_array',
  7: 'integer_array',
  8: 'double_array',
  9: 'string_array',
};

/** The value of an rcl_interfaces/msg/ParameterValue as the peer reports it, with its type name. */
function parameterValue(pv: Record<string, unknown>): { type: string; value: unknown } {
  const type = TYPE_NAMES[Number(pv.type)] ?? `type ${String(pv.type)}`;
  return { type, value: pv[`${type}_value`] };
}

describeWithRos('--params-file read by kizuna and by rcl (rclpy)', () => {
  let dir: string;
  let file: string;
  let graph: RosGraph;
  let peer: RclpyPeer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kizuna-params-'));
    file = join(dir, 'robot.yaml');
    writeFileSync(file, YAML);
    peer = await RclpyPeer.start('kizuna_params_peer');
    graph = await createRclnodejsGraph({});
  }, 30000);

  afterAll(async () => {
    await graph?.shutdown();
    await peer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the node the same overrides rcl reads from the file', async () => {
    const argv = ['--ros-args', '--params-file', file];
    const ours = overridesForNode(loadParamsFile(file), parseRosArgs(argv), NAME, NS);
    const { overrides } = await peer.request<{ overrides: Record<string, { type: number; value: unknown }> }>(
      'rcl_overrides',
      { name: NAME, namespace: NS, args: ['--params-file', file] },
    );
    const rclValues = Object.fromEntries(Object.entries(overrides).map(([k, p]) => [k, p.value]));
    expect(ours).toEqual(rclValues);
    expect(ours).toEqual({
      robot_id: 'r7',
      max_speed_mps: 2,
      rate_hz: 20,
      enabled: true,
      gains: [0.5, 1.25],
      ids: [1, 2, 3],
      names: ['front', 'rear'],
      flags: [true, false],
    });
    // rcl types each value from its YAML literal: `2` is an integer even where the node declares a double.
    const rclTypes = Object.fromEntries(Object.entries(overrides).map(([k, p]) => [k, TYPE_NAMES[p.type]]));
    expect(rclTypes).toMatchObject({ max_speed_mps: 'integer', gains: 'double_array', ids: 'integer_array' });
  }, 20000);

  it("shows, through rclpy's parameter services, the values kizuna declared on the rclnodejs node", async () => {
    const logger = createLogger({ level: 'error', json: true });
    await launchNode(paramNode, {
      into: { graph, logger },
      argv: ['--ros-args', '-r', `__ns:=${NS}`, '--params-file', file],
    });
    const remote = await peer.request<{
      names: string[];
      values: Record<string, Record<string, unknown>>;
      descriptors: Record<string, Record<string, unknown>>;
    }>('remote_parameters', { node: `${NS}/${NAME}` });
    // Jazzy's client libraries also declare start_type_description_service on every node (rclnodejs does,
    // as rclcpp and rclpy); kizuna's own parameter API does not list it (the in-process graph lacks it).
    expect(remote.names).toEqual(
      [
        'enabled',
        'flags',
        'gains',
        'ids',
        'max_speed_mps',
        'names',
        'rate_hz',
        'robot_id',
        'start_type_description_service',
        'use_sim_time',
      ].sort(),
    );
    const shown = Object.fromEntries(
      remote.names
        .filter((n) => n !== 'start_type_description_service')
        .map((n) => [n, parameterValue(remote.values[n]!)]),
    );
    expect(shown).toEqual({
      robot_id: { type: 'string', value: 'r7' },
      // declared double from the schema, so the integer literal arrives as 2.0
      max_speed_mps: { type: 'double', value: 2 },
      rate_hz: { type: 'integer', value: 20 },
      enabled: { type: 'bool', value: true },
      gains: { type: 'double_array', value: [0.5, 1.25] },
      ids: { type: 'integer_array', value: [1, 2, 3] },
      names: { type: 'string_array', value: ['front', 'rear'] },
      flags: { type: 'bool_array', value: [true, false] },
      use_sim_time: { type: 'bool', value: false },
    });
    expect(remote.descriptors.rate_hz).toMatchObject({ read_only: true, description: '[Hz] rate' });
  }, 20000);
});

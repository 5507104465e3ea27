import { describe, it, expect, afterEach } from '@jest/globals';
import type { MessageOf } from '../../nodes/core/interfaces';
import { MESSAGE_CONSTANTS } from '../../nodes/core/interfaces/generated';
import { TOPICS } from '../../nodes/core/topics';
import { Stack } from '../helpers/stack';
import { Commander } from './safety-gate-suite';

const H = MESSAGE_CONSTANTS['kizuna_msgs/msg/HealthSummary'];

describe('health over the running stack (in-process graph, kinematic world)', () => {
  let s: Stack;
  afterEach(async () => s.shutdown());

  it('is OK with every node alive, then reports a silent node, gate rejections and a stale scan', async () => {
    s = new Stack({ health: { watched_nodes: ['executive', 'perception', 'safety_gate'], diagnostics_timeout_s: 2 } });
    const got: Array<MessageOf<'kizuna_msgs/msg/HealthSummary'>> = [];
    s.cloud.createSubscription('kizuna_msgs/msg/HealthSummary', TOPICS.health, (m) => got.push(m));
    const last = () => got[got.length - 1]!;
    await s.advance(2);
    expect(last()).toMatchObject({
      level: H.LEVEL_OK,
      nodes_alive: ['executive', 'perception', 'safety_gate'],
      nodes_silent: [],
    });
    expect(last().faults).toEqual([]);

    // a NaN command makes the gate report a rejection in its diagnostics: a WARN
    const teleop = new Commander(s.cloud, TOPICS.cmdVelTeleop);
    teleop.silent = true;
    teleop.publishNow({ linear: { x: Number.NaN, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } });
    await s.advance(0.2);
    expect(last().level).toBe(H.LEVEL_WARN);
    expect(last().faults.map((f) => `${f.code}:${f.source}`)).toEqual(['DIAGNOSTICS_WARN:safety_gate: inputs']);

    // the scan goes silent: perception's fault is listed
    s.world.publishScans = false;
    await s.advance(1.5);
    expect(last().level).toBe(H.LEVEL_ERROR);
    expect(last().faults.map((f) => f.code)).toContain('SCAN_STALE');
    s.world.publishScans = true;

    // the executive dies: silent after the heartbeat timeout
    s.nodes.get('executive')!.destroy();
    await s.advance(4);
    expect(last()).toMatchObject({
      level: H.LEVEL_ERROR,
      nodes_silent: ['executive'],
      nodes_alive: ['perception', 'safety_gate'],
    });
    expect(last().faults.map((f) => `${f.code}:${f.source}`)).toEqual(['NODE_SILENT:executive']);
  });
});

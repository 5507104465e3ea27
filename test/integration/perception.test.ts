import { describe, it, expect, afterEach } from '@jest/globals';
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import type { MessageOf } from '../../nodes/core/interfaces';
import { MESSAGE_CONSTANTS } from '../../nodes/core/interfaces/generated';
import { TOPICS } from '../../nodes/core/topics';
import { start as startPerception } from '../../nodes/perception/node';
import { KinematicWorld } from '../helpers/kinematic';
import type { ParamValue } from '../../nodes/core/graph/params';

const F = MESSAGE_CONSTANTS['kizuna_msgs/msg/Fault'];

describe('perception on the in-process graph with the kinematic world', () => {
  let graph: InProcessGraph;
  let world: KinematicWorld;
  let got: Array<{ t: number; m: MessageOf<'kizuna_msgs/msg/WorldSummary'> }>;
  const last = () => got[got.length - 1]!.m;
  const advance = async (sec: number): Promise<void> => {
    for (let i = 0; i < Math.round(sec / 0.01); i++) await graph.advance(0.01);
  };

  async function setup(params: Record<string, ParamValue> = {}): Promise<void> {
    graph = new InProcessGraph({ clock: 'manual' });
    world = new KinematicWorld(graph, { battery: { start: 0.5 } });
    const node = graph.createNode('perception', { parameterOverrides: { min_interval_s: 0, ...params } });
    startPerception(node);
    got = [];
    graph
      .createNode('probe')
      .createSubscription('kizuna_msgs/msg/WorldSummary', TOPICS.worldSummary, (m) =>
        got.push({ t: Number(graph.clock.nowNs()) / 1e9, m }),
      );
    await advance(1.0);
  }
  afterEach(async () => graph.shutdown());

  it('publishes pose, battery and freshness at its rate, with every used source fresh', async () => {
    await setup({ imu_timeout_s: 0 });
    world.pose.x = 1.5;
    await advance(1.0);
    const m = last();
    expect(m.pose_valid).toBe(true);
    expect(m.pose.position.x).toBeCloseTo(1.5, 6);
    expect(m.header.frame_id).toBe('odom');
    expect(m.battery_valid).toBe(true);
    expect(m.battery_percentage).toBeCloseTo(0.5, 3);
    expect(m.sources.map((s) => s.name)).toEqual(['battery', 'estop', 'odom', 'people', 'scan']);
    expect(m.sources.every((s) => s.received && !s.stale)).toBe(true);
    expect(m.faults).toEqual([]);
    // 5 Hz when nothing changes
    const before = got.length;
    await advance(2.0);
    expect(got.length - before).toBe(10);
  });

  it('publishes at once on a significant change: an obstacle and a person appear', async () => {
    await setup();
    const t0 = Number(graph.clock.nowNs()) / 1e9;
    world.circles.push({ x: 1.0, y: 0, r: 0.1 });
    world.people.push({ x: 0, y: 2 });
    await advance(0.11);
    const early = got.filter((g) => g.t > t0 && g.m.obstacle_detected);
    expect(early.length).toBeGreaterThan(0);
    expect(early[0]!.t - t0).toBeLessThan(0.2);
    await advance(0.3);
    const m = last();
    expect(m.nearest_obstacle_distance).toBeCloseTo(0.9, 2);
    expect(Math.abs(m.nearest_obstacle_bearing)).toBeLessThan(0.02); // one beam is 1 degree
    expect(m.people_count).toBe(1);
    expect(m.nearest_person_distance).toBeCloseTo(2, 6);
    expect(m.nearest_person_bearing).toBeCloseTo(Math.PI / 2, 6);
  });

  it('marks a silent source stale and raises a fault for it, clearing it when the source returns', async () => {
    await setup();
    world.publishScans = false;
    await advance(1.0);
    const m = last();
    expect(m.sources.find((s) => s.name === 'scan')).toMatchObject({ received: true, stale: true });
    expect(m.faults).toEqual([
      expect.objectContaining({ code: 'SCAN_STALE', source: 'scan', severity: F.SEVERITY_ERROR }),
    ]);
    expect(m.obstacle_detected).toBe(false);
    world.publishScans = true;
    await advance(0.5);
    expect(last().faults).toEqual([]);
  });

  it('raises BATTERY_LOW, and a fault for a diagnostics entry at ERROR until it recovers', async () => {
    await setup();
    world.battery = 0.1;
    const diag = graph.createNode('diag').createPublisher('diagnostic_msgs/msg/DiagnosticArray', 'diagnostics');
    diag.publish({
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
      status: [{ level: 2, name: 'motor_driver', message: 'overcurrent', hardware_id: 'm1', values: [] }],
    });
    await advance(0.5);
    const codes = last().faults.map((f) => `${f.code}:${f.source}`);
    expect(codes).toEqual(['BATTERY_LOW:battery', 'DIAGNOSTICS_ERROR:motor_driver']);
    diag.publish({
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
      status: [{ level: 0, name: 'motor_driver', message: 'ok', hardware_id: 'm1', values: [] }],
    });
    await advance(0.5);
    expect(last().faults.map((f) => f.code)).toEqual(['BATTERY_LOW']);
  });
});

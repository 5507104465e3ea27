/**
 * The safety gate's behaviour, as an abstract suite over a graph factory: runs on the in-process graph
 * with a manual clock here, and on rclnodejs against real ROS 2 once that graph is wired in (the harness
 * then advances real time). Everything goes through ROS topics with the kinematic world of
 * test/helpers/kinematic.ts; nothing reaches into the gate's internals.
 */
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import type { RosGraph, RosNode } from '../../nodes/core/graph/types';
import type { MessageOf } from '../../nodes/core/interfaces';
import { MESSAGE_CONSTANTS } from '../../nodes/core/interfaces/generated';
import type { ParamValue } from '../../nodes/core/graph/params';
import { TOPICS } from '../../nodes/core/topics';
import { start as startGate } from '../../nodes/safety_gate/node';
import { KinematicWorld, type WorldOptions } from '../helpers/kinematic';

const S = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'];

export interface GateHarness {
  graph: RosGraph;
  /** Lets `sec` seconds of ROS time pass (manual clock: advance; real middleware: sleep) and delivers what is due. */
  advance(sec: number): Promise<void>;
  /** Delivers what is queued without letting time pass (as far as the implementation allows). */
  settle(): Promise<void>;
  /**
   * True when nothing else runs between publishing a message and settling (manual clock): the suite
   * then checks "the very next output" exactly; on a real middleware a control tick may slip in between.
   */
  deterministic: boolean;
}

/** Gate parameters used by the suite unless a test overrides them. */
export const SUITE_GATE_PARAMS: Record<string, ParamValue> = {
  footprint_front_m: 0.3,
  footprint_rear_m: 0.3,
  footprint_half_width_m: 0.25,
  stop_margin_m: 0.1,
  slowdown_margin_m: 0.4,
  slowdown_ratio: 0.4,
  // braking envelope (the defaults, stated): react after 0.25 s, then brake at 1 m/s^2, 2 rad/s^2
  reaction_time_s: 0.25,
  braking_decel_mps2: 1.0,
  braking_angular_decel_rps2: 2.0,
  max_linear_speed_mps: 1.0,
  max_reverse_speed_mps: 0.3,
  max_angular_speed_rps: 1.5,
  max_linear_accel_mps2: 2.0,
  max_linear_decel_mps2: 3.0,
  source_timeout_s: 0.3,
  cmd_timeout_s: 0.5,
  teleop_timeout_s: 0.3,
  estop_timeout_s: 0.5,
  people_enabled: false,
};

/** A node publishing a settable command on a topic at 10 Hz (the executive or teleop). */
export class Commander {
  twist: MessageOf<'geometry_msgs/msg/Twist'> = { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } };
  silent = false;
  private readonly pub;
  constructor(node: RosNode, topic: string) {
    this.pub = node.createPublisher('geometry_msgs/msg/Twist', topic, {
      reliability: 'reliable',
      durability: 'volatile',
      depth: 1,
    });
    node.createTimer(0.1, () => {
      if (!this.silent) this.pub.publish(this.twist);
    });
  }
  /** Sets the forward speed [m/s] and turn rate [rad/s]. */
  set(vx: number, wz = 0): void {
    this.twist = { linear: { x: vx, y: 0, z: 0 }, angular: { x: 0, y: 0, z: wz } };
  }
  publishNow(twist: MessageOf<'geometry_msgs/msg/Twist'>): void {
    this.pub.publish(twist);
  }
}

export function safetyGateSuite(name: string, makeHarness: () => Promise<GateHarness>): void {
  describe(`safety_gate behaviour (${name})`, () => {
    let h: GateHarness;
    let world: KinematicWorld;
    let nav: Commander;
    let teleop: Commander;
    let probe: RosNode;
    let states: Array<MessageOf<'kizuna_msgs/msg/SafetyState'>>;
    let diags: Array<MessageOf<'diagnostic_msgs/msg/DiagnosticArray'>>;
    let speedLimit: ReturnType<RosNode['createPublisher']>;
    let resetPub: ReturnType<RosNode['createPublisher']>;
    let startPub: ReturnType<RosNode['createPublisher']>;

    const speed = (): number => world.lastCmd?.linear.x ?? Number.NaN;
    const lastState = (): MessageOf<'kizuna_msgs/msg/SafetyState'> | undefined => states[states.length - 1];
    /** An explicit e-stop reset (accepted only while released and alive; never restarts motion by itself). */
    const reset = async (): Promise<void> => {
      resetPub.publish({} as never);
      await h.settle();
    };
    /** A deliberate start (kizuna/motion_start): releases a latch that was reset. */
    const start = async (): Promise<void> => {
      startPub.publish({} as never);
      await h.settle();
    };
    /** Diagnostics reports of a refused reset or start, newest last: the topic and why. */
    const refusals = (): string[] =>
      diags
        .map((d) => d.status[0]!)
        .filter((st) =>
          st.values.some((v) => v.key === 'last_rejection_code' && v.value === 'KZ_ERR_ESTOP_RESET_REFUSED'),
        )
        .map((st) => st.values.find((v) => v.key === 'last_rejection')!.value)
        .filter((why, i, all) => i === 0 || why !== all[i - 1]);
    const rejectedOther = (): number =>
      Number(diags[diags.length - 1]?.status[0]!.values.find((v) => v.key === 'rejected_other')?.value ?? 0);

    async function setup(params: Record<string, ParamValue> = {}, worldOptions: WorldOptions = {}): Promise<void> {
      world = new KinematicWorld(h.graph, worldOptions);
      const gateNode = h.graph.createNode('safety_gate', {
        parameterOverrides: { ...SUITE_GATE_PARAMS, ...params },
      });
      startGate(gateNode);
      probe = h.graph.createNode('probe');
      nav = new Commander(probe, TOPICS.cmdVelNav);
      teleop = new Commander(probe, TOPICS.cmdVelTeleop);
      teleop.silent = true;
      states = [];
      diags = [];
      probe.createSubscription('kizuna_msgs/msg/SafetyState', TOPICS.safetyState, (m) => states.push(m));
      probe.createSubscription('diagnostic_msgs/msg/DiagnosticArray', 'diagnostics', (m) => diags.push(m));
      speedLimit = probe.createPublisher('std_msgs/msg/Float32', TOPICS.speedLimit, {
        reliability: 'reliable',
        durability: 'transient_local',
        depth: 1,
      });
      resetPub = probe.createPublisher('std_msgs/msg/Empty', TOPICS.estopReset, {
        reliability: 'reliable',
        durability: 'volatile',
        depth: 1,
      });
      startPub = probe.createPublisher('std_msgs/msg/Empty', TOPICS.motionStart, {
        reliability: 'reliable',
        durability: 'volatile',
        depth: 1,
      });
      await h.advance(0.3);
    }

    /**
     * A second scan publisher on the probe, once it is matched with the gate's subscription: on a real
     * middleware a new publisher reaches nobody until discovery has matched it (best effort: the first
     * messages are simply lost); in-process it is matched at once.
     */
    async function matchedScanPublisher(): Promise<ReturnType<RosNode['createPublisher']>> {
      const pub = probe.createPublisher('sensor_msgs/msg/LaserScan', TOPICS.scan, 'sensor_data');
      const deadline = Date.now() + 5000;
      while (pub.subscriptionCount() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      return pub;
    }

    /**
     * Tests that inject their own scans pause the world's periodic ones (world.publishScans = false): on a
     * real middleware time passes during settle(), and a periodic good scan would land between the injected
     * one and the check. This runs `step` with the world's scans on again (for recovery), then pauses them.
     */
    async function withWorldScans(step: () => Promise<void>): Promise<void> {
      world.publishScans = true;
      await step();
      world.publishScans = false;
    }

    /** Drives forward at `vx` until the gate passes it through (inputs fresh, nothing near). */
    async function cruise(vx: number): Promise<void> {
      nav.set(vx);
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(vx, 5);
    }

    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.graph.shutdown();
    });

    it('passes a clear command through, speeding up no faster than the acceleration limit', async () => {
      await setup();
      nav.set(0.8);
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(0.8, 5);
      expect(lastState()?.state).toBe(S.STATE_CLEAR);
      // the ramp: consecutive outputs never differ by more than accel * (time between them), 2 m/s^2 here
      const xs = world.cmds.map((c) => c.linear.x);
      const firstMoving = xs.findIndex((x) => x > 0);
      expect(firstMoving).toBeGreaterThan(-1);
      expect(xs[firstMoving]!).toBeLessThanOrEqual(2.0 * 0.25 + 1e-9);
      expect(xs.filter((x) => x > 0 && x < 0.8).length).toBeGreaterThan(2);
    });

    it('stops on the very next scan when an obstacle enters the stop zone', async () => {
      await setup();
      await cruise(0.5);
      // surface 0.35 m ahead of base_link: inside the 0.3 m footprint front + 0.1 m stop margin
      world.circles.push({ x: world.pose.x + 0.4, y: world.pose.y, r: 0.05 });
      const before = world.cmds.length;
      world.publishScanNow();
      await h.settle();
      const after = world.cmds.slice(before);
      expect(after.length).toBeGreaterThan(0);
      if (h.deterministic) expect(after[0]!.linear.x).toBe(0);
      const firstZero = after.findIndex((c) => c.linear.x === 0);
      expect(firstZero).toBeGreaterThanOrEqual(0);
      expect(after.slice(firstZero).every((c) => c.linear.x === 0 && c.angular.z === 0)).toBe(true);
      expect(lastState()).toMatchObject({ state: S.STATE_STOP, limiting_reason: S.REASON_OBSTACLE });
      await h.advance(0.5);
      expect(speed()).toBe(0);
    });

    it('caps the speed by the slowdown ratio while something is in the slowdown zone, at once', async () => {
      await setup();
      await cruise(1.0);
      // beside the robot, 0.35 m from its side: not on its path, so only the slowdown zone applies
      world.circles.push({ x: world.pose.x, y: world.pose.y + 0.7, r: 0.1 });
      const before = world.cmds.length;
      world.publishScanNow();
      await h.settle();
      const after = world.cmds.slice(before);
      expect(after.length).toBeGreaterThan(0);
      // an absolute cap (ratio x profile maximum), not through the comfort ramp
      if (h.deterministic) expect(after[0]!.linear.x).toBeCloseTo(0.4, 9);
      await h.advance(0.5);
      expect(speed()).toBeCloseTo(0.4, 5);
      expect(lastState()).toMatchObject({ state: S.STATE_SLOWDOWN, limiting_reason: S.REASON_OBSTACLE });
    });

    it('slows on approach and stops short of a wall, never touching it', async () => {
      // The base brakes at 1 m/s^2: no harder than the gate assumes (braking_decel_mps2 <= the base's), so
      // everything below rests on the braking envelope, not on an instant base.
      await setup({}, { decel: 1.0 });
      const wallX = 3;
      world.walls.push({ x1: wallX, y1: -2, x2: wallX, y2: 2 });
      nav.set(1.0);
      let sawApproach = false;
      let closest = Number.POSITIVE_INFINITY; // [m] front edge to the wall
      let worstOvershoot = Number.NEGATIVE_INFINITY; // [m] how far braking from here would reach into the stop margin
      let fastest = 0;
      const xs: number[] = [];
      for (let i = 0; i < 120; i++) {
        await h.advance(0.05);
        const st = lastState();
        if (st?.state === S.STATE_APPROACH && st.limiting_reason === S.REASON_OBSTACLE) sawApproach = true;
        const gap = wallX - (world.pose.x + 0.3);
        const v = world.velocity.linear.x;
        closest = Math.min(closest, gap);
        fastest = Math.max(fastest, v);
        worstOvershoot = Math.max(worstOvershoot, (v * v) / (2 * 1.0) - (gap - 0.1));
        xs.push(world.pose.x);
      }
      expect(sawApproach).toBe(true);
      expect(fastest).toBeGreaterThan(0.9); // full speed while the wall was far
      // at every instant the base could still stop (braking alone, at 1 m/s^2) outside the 0.1 m stop margin
      expect(worstOvershoot).toBeLessThanOrEqual(0.01);
      // never touched the wall, kept the stop margin, and did not give up far from it
      expect(closest).toBeGreaterThan(0.1 - 0.01);
      expect(closest).toBeLessThan(0.2);
      // stopped: no speed to speak of, no motion over the last second
      expect(Math.abs(speed())).toBeLessThan(1e-3);
      expect(Math.abs(world.velocity.linear.x)).toBeLessThan(1e-3);
      expect(xs[xs.length - 1]! - xs[xs.length - 21]!).toBeLessThan(1e-3);
    });

    it('started latched (start_latched), holds zero for any command until a deliberate start, then drives', async () => {
      await setup({ start_latched: true });
      nav.set(0.5);
      await h.advance(1.0);
      expect(speed()).toBe(0);
      expect(lastState()).toMatchObject({ state: S.STATE_ESTOP, limiting_reason: S.REASON_ESTOP, estop_latched: true });
      expect(lastState()!.detail).toMatch(/started latched; waiting for a start/);
      // no reset is needed (nothing was pressed), only the start
      await start();
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(0.5, 5);
      expect(lastState()!.estop_latched).toBe(false);
    });

    it('holds zero after an e-stop until it is released, reset, and then deliberately started', async () => {
      await setup();
      await cruise(0.5);
      // The world's periodic e-stop publisher (data: false) stops first: on a real middleware time passes
      // during settle(), and a periodic 'released' would land between the assert and the reset below.
      world.publishEstop = false;
      world.setEstop(true);
      await h.settle();
      expect(speed()).toBe(0);
      expect(lastState()).toMatchObject({ state: S.STATE_ESTOP, limiting_reason: S.REASON_ESTOP, estop_latched: true });
      // a reset while still asserted is refused and reported, and so is a start
      await reset();
      expect(refusals().pop()).toMatch(/estop_reset: e-stop is still asserted/);
      await start();
      expect(refusals().pop()).toMatch(/motion_start: e-stop is still asserted/);
      await h.advance(0.3);
      expect(speed()).toBe(0);
      // released: still zero, waiting for a reset
      world.setEstop(false);
      world.publishEstop = true;
      await h.advance(1.0);
      expect(speed()).toBe(0);
      expect(lastState()).toMatchObject({ state: S.STATE_ESTOP, estop_latched: true });
      expect(lastState()!.detail).toMatch(/released; waiting for an explicit reset/);
      // a start before the reset is refused and changes nothing
      const rejectedBefore = rejectedOther();
      await start();
      expect(refusals().pop()).toMatch(/motion_start: .*reset first, then start/);
      expect(rejectedOther()).toBe(rejectedBefore + 1);
      await h.advance(0.5);
      expect(speed()).toBe(0);
      expect(lastState()).toMatchObject({ state: S.STATE_ESTOP, estop_latched: true });
      // the reset is accepted, but a reset alone never restarts motion, also with a fresh command
      const beforeReset = world.cmds.length;
      await reset();
      expect(rejectedOther()).toBe(rejectedBefore + 1);
      nav.set(0.4);
      await h.advance(3.0);
      expect(world.cmds.length - beforeReset).toBeGreaterThan(30);
      expect(world.cmds.slice(beforeReset).every((c) => c.linear.x === 0 && c.angular.z === 0)).toBe(true);
      expect(lastState()).toMatchObject({ state: S.STATE_ESTOP, limiting_reason: S.REASON_ESTOP, estop_latched: true });
      expect(lastState()!.detail).toBe('e-stop reset; waiting for a start');
      // the deliberate start releases it
      await start();
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(0.4, 5);
      expect(lastState()).toMatchObject({ state: S.STATE_CLEAR, estop_latched: false });
      expect(rejectedOther()).toBe(rejectedBefore + 1);
    });

    it('cancels an e-stop reset by a new press: the start that follows is refused', async () => {
      await setup();
      await cruise(0.5);
      world.publishEstop = false;
      world.setEstop(true);
      // held for a while: the gate's e-stop subscription keeps only the newest message (depth 1)
      await h.advance(0.3);
      world.setEstop(false);
      world.publishEstop = true;
      await h.advance(0.3);
      await reset();
      // (a change of detail alone reaches SafetyState with the next periodic message: state_period_s 1 s)
      await h.advance(1.1);
      expect(speed()).toBe(0);
      expect(lastState()!.detail).toBe('e-stop reset; waiting for a start');
      // pressed and released again: the earlier reset no longer counts
      world.publishEstop = false;
      world.setEstop(true);
      // held for a while: the gate's e-stop subscription keeps only the newest message (depth 1)
      await h.advance(0.3);
      world.setEstop(false);
      world.publishEstop = true;
      await h.advance(1.1);
      expect(lastState()!.detail).toMatch(/released; waiting for an explicit reset/);
      await start();
      expect(refusals().pop()).toMatch(/motion_start: .*reset first, then start/);
      await h.advance(1.0);
      expect(speed()).toBe(0);
      expect(lastState()).toMatchObject({ state: S.STATE_ESTOP, estop_latched: true });
      await reset();
      await h.advance(0.3);
      expect(speed()).toBe(0);
      await start();
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(0.5, 5);
      expect(lastState()).toMatchObject({ state: S.STATE_CLEAR, estop_latched: false });
    });

    it('latches a stop when the e-stop publisher goes silent past its timeout', async () => {
      await setup();
      await cruise(0.5);
      world.publishEstop = false;
      await h.advance(0.8);
      expect(speed()).toBe(0);
      expect(lastState()).toMatchObject({ state: S.STATE_ESTOP, estop_latched: true });
      expect(lastState()!.timed_out_sources).toContain('estop');
      expect(lastState()!.detail).toBe('e-stop publisher silent');
      // a reset while the publisher is silent is refused
      await reset();
      expect(refusals().pop()).toMatch(/estop_reset: e-stop publisher silent/);
      world.publishEstop = true;
      await h.advance(0.5);
      expect(speed()).toBe(0);
      expect(lastState()!.timed_out_sources).not.toContain('estop');
      // alive again: reset, still zero, then the deliberate start
      await reset();
      await h.advance(1.0);
      expect(speed()).toBe(0);
      expect(lastState()).toMatchObject({ state: S.STATE_ESTOP, estop_latched: true });
      expect(lastState()!.detail).toBe('e-stop reset; waiting for a start');
      await start();
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(0.5, 5);
      expect(lastState()).toMatchObject({ state: S.STATE_CLEAR, estop_latched: false });
    });

    it('sends zero within cmd_timeout when the executive goes silent', async () => {
      await setup();
      await cruise(0.5);
      nav.silent = true;
      await h.advance(0.6);
      expect(speed()).toBe(0);
      expect(lastState()).toMatchObject({ state: S.STATE_STOP, limiting_reason: S.REASON_COMMAND_TIMEOUT });
    });

    it('stops when the scan goes stale, and when odometry goes stale', async () => {
      await setup();
      await cruise(0.5);
      world.publishScans = false;
      await h.advance(0.45);
      expect(speed()).toBe(0);
      expect(lastState()).toMatchObject({ state: S.STATE_STOP, limiting_reason: S.REASON_SOURCE_TIMEOUT });
      expect(lastState()!.timed_out_sources).toEqual(['scan']);
      world.publishScans = true;
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(0.5, 5);
      world.publishOdom = false;
      await h.advance(0.45);
      expect(speed()).toBe(0);
      expect(lastState()!.timed_out_sources).toEqual(['odom']);
    });

    it('drops a NaN command and reports it; the robot keeps the last good command until cmd_timeout', async () => {
      await setup();
      await cruise(0.5);
      nav.silent = true;
      nav.publishNow({ linear: { x: Number.NaN, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } });
      await h.settle();
      nav.publishNow({ linear: { x: 0.2, y: 0, z: 0 }, angular: { x: 0, y: 0, z: Number.POSITIVE_INFINITY } });
      await h.settle();
      expect(world.cmds.every((c) => Number.isFinite(c.linear.x) && Number.isFinite(c.angular.z))).toBe(true);
      expect(speed()).toBeCloseTo(0.5, 5);
      const report = diags
        .map((d) => d.status[0]!)
        .filter((s) => s.message.includes('NaN or Inf'))
        .pop();
      expect(report).toBeDefined();
      expect(report!.values).toEqual(expect.arrayContaining([{ key: 'rejected_commands', value: '2' }]));
      await h.advance(0.6);
      expect(speed()).toBe(0);
    });

    it('gives teleop priority while it is fresh, then returns to the executive', async () => {
      await setup();
      await cruise(0.5);
      teleop.set(-0.2);
      teleop.silent = false;
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(-0.2, 5);
      expect(lastState()?.teleop_active).toBe(true);
      teleop.silent = true;
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(0.5, 5);
      expect(lastState()?.teleop_active).toBe(false);
    });

    it('never exceeds the profile maximum, also when a speed limit asks for more', async () => {
      await setup({ max_linear_speed_mps: 0.6 });
      nav.set(2.0);
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(0.6, 5);
      speedLimit.publish({ data: 1.5 } as never);
      await h.advance(1.0);
      expect(world.maxSpeedSeen).toBeLessThanOrEqual(0.6 + 1e-9);
      speedLimit.publish({ data: 0.25 } as never);
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(0.25, 5);
      expect(lastState()).toMatchObject({ state: S.STATE_SLOWDOWN, limiting_reason: S.REASON_SPEED_LIMIT });
      speedLimit.publish({ data: Number.NaN } as never);
      await h.advance(0.5);
      expect(speed()).toBeCloseTo(0.25, 5);
      expect(diags.some((d) => d.status[0]!.values.some((v) => v.value === 'KZ_ERR_INPUT_INVALID'))).toBe(true);
    });

    it('refuses a scan in the wrong frame or with nonsensical limits, reports it and stops until a good one', async () => {
      await setup();
      await cruise(0.5);
      const bad = world.scan();
      bad.header.frame_id = 'camera';
      const scanPub = await matchedScanPublisher();
      world.publishScans = false; // see withWorldScans()
      scanPub.publish(bad);
      await h.settle();
      expect(speed()).toBe(0);
      expect(lastState()).toMatchObject({ state: S.STATE_STOP, limiting_reason: S.REASON_SOURCE_INVALID });
      expect(lastState()!.detail).toMatch(/frame 'camera' is not the configured 'laser'/);
      await withWorldScans(() => h.advance(0.6));
      expect(speed()).toBeCloseTo(0.5, 1);
      const inverted = world.scan();
      inverted.range_min = 5;
      inverted.range_max = 1;
      scanPub.publish(inverted);
      await h.settle();
      expect(speed()).toBe(0);
      const reports = diags.map((d) => d.status[0]!).filter((s) => s.level === 1);
      expect(reports.map((r) => r.message).join('\n')).toMatch(/range limits make no sense/);
    });

    it('reads REP 117 values safely: -Inf ahead stops, +Inf is free only up to range_max, mostly NaN is blind', async () => {
      await setup();
      await cruise(0.5);
      const pub = await matchedScanPublisher();
      world.publishScans = false; // see withWorldScans()
      const s1 = world.scan();
      const ranges = Array.from(s1.ranges);
      ranges[Math.floor(ranges.length / 2)] = Number.NEGATIVE_INFINITY; // straight ahead: too close to measure
      pub.publish({ ...s1, ranges });
      await h.settle();
      expect(speed()).toBe(0);
      expect(lastState()).toMatchObject({ state: S.STATE_STOP, limiting_reason: S.REASON_OBSTACLE });
      // The -Inf point sits at the sensor, within range_min, where no later beam can show it free: the
      // obstacle memory keeps it until it decays (memory_decay_s, 2 s by default); then the robot goes on.
      await withWorldScans(() => h.advance(3.0));
      expect(speed()).toBeCloseTo(0.5, 1);
      // a short-range sensor that sees nothing (+Inf) cannot vouch for the stop zone beyond its 0.2 m
      const s2 = world.scan();
      pub.publish({ ...s2, range_max: 0.2, ranges: Array.from(s2.ranges, () => Number.POSITIVE_INFINITY) });
      await h.settle();
      expect(speed()).toBe(0);
      await withWorldScans(() => h.advance(1.0));
      // a few NaN beams are tolerated; a mostly-NaN scan is refused as blind
      const s3 = world.scan();
      pub.publish({ ...s3, ranges: Array.from(s3.ranges, (r, i) => (i % 10 === 0 ? Number.NaN : r)) });
      await h.settle();
      expect(speed()).toBeGreaterThan(0);
      pub.publish({ ...s3, ranges: Array.from(s3.ranges, (r, i) => (i % 10 === 0 ? r : Number.NaN)) });
      await h.settle();
      expect(speed()).toBe(0);
      expect(lastState()).toMatchObject({ limiting_reason: S.REASON_SOURCE_INVALID });
      expect(lastState()!.detail).toMatch(/blind/);
    });

    it('keeps the separation from people at the stopping distance', async () => {
      // K 1.6 m/s, C 0.2 m beyond the 0.1 m stop margin, body radius 0.3 m; the base brakes at 1 m/s^2.
      await setup(
        {
          people_enabled: true,
          separation_k_mps: 1.6,
          separation_c_m: 0.2,
          people_radius_m: 0.3,
          people_timeout_s: 1.0,
          // K in every direction, even for a person followed long enough to know their velocity
          people_accel_mps2: 0,
        },
        { decel: 1.0 },
      );
      // A person `ahead` m in front of base_link, walking with the robot (people are in odom in the world).
      let ahead: number | undefined;
      probe.createTimer(0.02, () => {
        if (ahead !== undefined) world.people = [{ x: world.pose.x + ahead, y: world.pose.y }];
      });
      /**
       * Speeds commanded over `sec` seconds; whether APPROACH for a person was reported, and whether
       * anything else than that or CLEAR was. (While the output speeds up again under the envelope's cap,
       * the gate reports CLEAR for that step: see the hand-over notes; so APPROACH is not required at every
       * sample.)
       */
      const watch = async (sec: number): Promise<{ min: number; max: number; approach: boolean; other: boolean }> => {
        let min = Number.POSITIVE_INFINITY;
        let max = 0;
        let approach = false;
        let other = false;
        for (let t = 0; t < sec - 1e-9; t += 0.05) {
          await h.advance(0.05);
          min = Math.min(min, speed());
          max = Math.max(max, speed());
          const st = lastState()!;
          if (st.state === S.STATE_APPROACH && st.limiting_reason === S.REASON_PERSON) approach = true;
          else if (st.state !== S.STATE_CLEAR) other = true;
        }
        return { min, max, approach, other };
      };
      nav.set(1.0);
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(1.0, 5);
      expect(lastState()).toMatchObject({ state: S.STATE_CLEAR, limiting_reason: S.REASON_NONE });
      expect(lastState()!.timed_out_sources).toEqual([]);

      // Farther than the robot needs to stop: the speed at which, reacting after 0.25 s and braking at
      // 1 m/s^2 while the person closes in at K, it stops 0.6 m (stop margin + C + body) short of them:
      // d - 0.3 - 0.6 - 1.6 (0.25 + v) - 0.25 v - v^2 / 2 - 1.6 age >= 0, age of the detection <= 0.2 s.
      const allowed = (d: number, age: number): number => {
        const rhs = d - 0.9 - 0.4 - 1.6 * age;
        return rhs <= 0 ? 0 : -1.85 + Math.sqrt(1.85 * 1.85 + 2 * rhs);
      };
      ahead = 3.0;
      await h.advance(1.0);
      const far = await watch(1.0);
      expect(far.approach).toBe(true);
      expect(far.other).toBe(false);
      expect(far.max).toBeLessThanOrEqual(allowed(3.0, 0) + 0.01); // 0.79 m/s
      expect(far.min).toBeGreaterThanOrEqual(allowed(3.0, 0.3) - 0.01); // 0.58 m/s
      // the person comes closer (0.5 m/s relative to the robot, slower than K): a lower cap
      for (let i = 0; i < 100; i++) {
        ahead = 3.0 - (1.0 * i) / 99;
        await h.advance(0.02);
      }
      ahead = 2.0;
      await h.advance(0.5);
      const near = await watch(1.0);
      expect(near.approach).toBe(true);
      expect(near.other).toBe(false);
      expect(near.max).toBeLessThanOrEqual(allowed(2.0, 0) + 0.01); // 0.35 m/s
      expect(near.min).toBeGreaterThanOrEqual(allowed(2.0, 0.3) - 0.01); // 0.11 m/s
      expect(near.max).toBeLessThan(far.min);

      // Closer than the robot needs to stop even from standstill (0.9 + 1.6 * 0.25 = 1.3 m): STOP.
      ahead = undefined;
      world.people = [{ x: world.pose.x + 1.2, y: world.pose.y }];
      const n0 = states.length;
      await h.advance(0.3);
      expect(speed()).toBe(0);
      // (STOP is what the gate reports on a step that tries to move; a step at the same instant as the
      // previous one, with the last output 0, reports CLEAR: see the hand-over notes. So "STOP was reported,
      // and nothing but STOP or that CLEAR", not "the latest state is STOP".)
      const isStop = (m: MessageOf<'kizuna_msgs/msg/SafetyState'>): boolean =>
        m.state === S.STATE_STOP && m.limiting_reason === S.REASON_PERSON;
      expect(states.slice(n0).some(isStop)).toBe(true);
      const before = world.cmds.length;
      const n1 = states.length;
      await h.advance(1.0);
      expect(world.cmds.slice(before).every((c) => c.linear.x === 0 && c.angular.z === 0)).toBe(true);
      expect(states.slice(n1).every((m) => isStop(m) || m.state === S.STATE_CLEAR)).toBe(true);
      expect(states.slice(n1).some(isStop)).toBe(true);
      // gone (and forgotten after people_timeout_s): full speed again
      world.people = [];
      await h.advance(2.0);
      expect(speed()).toBeCloseTo(1.0, 5);
      expect(lastState()).toMatchObject({ state: S.STATE_CLEAR, limiting_reason: S.REASON_NONE });

      // The detector goes silent: people_blind_speed_mps (0.3) at once, named in timed_out_sources.
      const beforeStale = world.cmds.length;
      world.publishPeople = false;
      await h.advance(1.5);
      const outputs = world.cmds.slice(beforeStale).map((c) => c.linear.x);
      expect(outputs.every((x) => x >= 1.0 - 1e-9 || x <= 0.3 + 1e-9)).toBe(true); // no ramp down
      expect(speed()).toBeCloseTo(0.3, 5);
      expect(lastState()).toMatchObject({ state: S.STATE_SLOWDOWN, limiting_reason: S.REASON_SOURCE_TIMEOUT });
      expect(lastState()!.timed_out_sources).toEqual(['people']);
      world.publishPeople = true;
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(1.0, 5);
      expect(lastState()!.timed_out_sources).toEqual([]);
    });

    it('remembers a thin obstacle that one scan showed and the next ones miss, until a beam sees through its place', async () => {
      // A sparse lidar (37 beams, 9.7 deg apart, one straight ahead) and a 2 cm pole: scans whose beams are
      // shifted by half a step pass beside the pole (4 cm and more away from it within 0.5 m). A long
      // memory (10 s), so that only a beam seeing through the pole's place can make the gate forget it.
      const beams = 37;
      const half = Math.PI / beams; // half the angle between beams
      await setup({ memory_decay_s: 10 }, { beams });
      world.scanAngleOffset = half;
      await cruise(1.0);
      const pole = { x: world.pose.x + 1.0, y: world.pose.y, r: 0.01 };
      world.circles.push(pole);
      // the shifted scans do not show the pole at all
      expect(world.scan().ranges.every((r) => r === Number.POSITIVE_INFINITY)).toBe(true);
      await h.advance(0.3);
      expect(speed()).toBeCloseTo(1.0, 5);
      // one scan with a beam straight ahead shows it; all later ones miss it again
      world.scanAngleOffset = 0;
      world.publishScanNow();
      world.scanAngleOffset = half;
      await h.settle();
      let closest = Number.POSITIVE_INFINITY; // [m] front edge to the pole's surface
      let worst = Number.NEGATIVE_INFINITY; // [m] braking (at once, 1 m/s^2) beyond the stop margin
      let clear = false;
      let approach = false;
      for (let i = 0; i < 40; i++) {
        await h.advance(0.05);
        const gap = pole.x - pole.r - (world.pose.x + 0.3);
        closest = Math.min(closest, gap);
        worst = Math.max(worst, speed() ** 2 / 2 - (gap - 0.1));
        if (lastState()!.state === S.STATE_CLEAR && speed() > 0.99) clear = true;
        if (lastState()!.state === S.STATE_APPROACH && lastState()!.limiting_reason === S.REASON_OBSTACLE)
          approach = true;
      }
      expect(world.scan().ranges.every((r) => r === Number.POSITIVE_INFINITY)).toBe(true);
      expect(clear).toBe(false);
      expect(approach).toBe(true);
      expect(worst).toBeLessThanOrEqual(0.01);
      expect(closest).toBeGreaterThan(0.1 - 0.01);
      expect(Math.abs(speed())).toBeLessThan(0.05);
      // the pole is taken away; a scan with a beam through its place sees far beyond: forgotten
      world.circles = [];
      world.scanAngleOffset = 0;
      await h.advance(1.0);
      expect(speed()).toBeCloseTo(1.0, 5);
      expect(lastState()).toMatchObject({ state: S.STATE_CLEAR, limiting_reason: S.REASON_NONE });
    });

    it('reports another publisher on cmd_vel as a bypass of the gate', async () => {
      await setup({ state_period_s: 0.5 });
      await h.advance(0.6);
      const output = (): MessageOf<'diagnostic_msgs/msg/DiagnosticStatus'> | undefined =>
        diags[diags.length - 1]?.status.find((x) => x.name === 'safety_gate: output');
      expect(output()).toMatchObject({ level: 0 });
      const rogue = probe.createPublisher('geometry_msgs/msg/Twist', TOPICS.cmdVel);
      await h.advance(0.6);
      expect(output()).toMatchObject({
        level: 2,
        message: expect.stringMatching(/1 other publisher\(s\) on \/cmd_vel/),
      });
      expect(rogue.topic).toBe('/cmd_vel');
    });

    it('caps speed while people information is stale, and refuses people in another frame', async () => {
      await setup({ people_enabled: true, people_blind_speed_mps: 0.3 });
      world.publishPeople = false;
      // people in odom instead of base_link: refused, and they do not count as fresh information
      const wrong = probe.createPublisher('geometry_msgs/msg/PoseArray', TOPICS.people, 'sensor_data');
      probe.createTimer(0.1, () =>
        wrong.publish({
          header: { stamp: probe.now(), frame_id: 'odom' },
          poses: [{ position: { x: 50, y: 50, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } }],
        }),
      );
      nav.set(0.8);
      await h.advance(1.5);
      expect(speed()).toBeCloseTo(0.3, 5);
      expect(lastState()).toMatchObject({ state: S.STATE_SLOWDOWN, limiting_reason: S.REASON_SOURCE_TIMEOUT });
      expect(lastState()!.timed_out_sources).toEqual(['people']);
      const inputs = diags.map((d) => d.status[0]!);
      expect(
        inputs.some((st) =>
          st.values.some(
            (v) => v.key === 'last_rejection' && /people in frame 'odom', not the configured 'base_link'/.test(v.value),
          ),
        ),
      ).toBe(true);
      expect(inputs.some((st) => st.values.some((v) => v.value === 'KZ_ERR_INPUT_INVALID'))).toBe(true);
    });
  });
}

/**
 * The robot stack run managed on the in-process graph, as `kizuna launch --compose` starts it (managed is the
 * default; `--no-lifecycle` starts the nodes active without the manager):
 * every node unconfigured and silent until lifecycle_manager configures, then activates them in start
 * order; what each node does in configure / activate / deactivate / cleanup (publishers, subscriptions and
 * timers created on configure and destroyed on cleanup; the executive's and the gate's zero velocity on
 * leaving active); the gate refusing to deactivate while odometry shows the base moving.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import type { RosNode } from '../../nodes/core/graph/types';
import { createLogger } from '../../nodes/core/logging';
import { launchNode } from '../../nodes/core/runner';
import { NODES } from '../../nodes/registry';
import { TOPICS } from '../../nodes/core/topics';
import { childCommand, parseLaunchArgs } from '../../nodes/cli/launch';
import { MANAGER_NODE, planLaunch } from '../../nodes/cli/launch-plan';
import { waitFor } from './graph-suite';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileHandleReadable } from '@mcap/nodejs';
import { mcapCore, mcapSupport } from '../../nodes/core/mcap/esm';
import { ros2Reader } from '../../nodes/core/mcap/ros2';
import { listIncidentFiles } from '../../nodes/black_box/store';

const logger = createLogger({ level: 'error', json: true });
const odom = (vx: number) => ({
  header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'odom' },
  child_frame_id: 'base_link',
  pose: {
    pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
    covariance: new Array<number>(36).fill(0),
  },
  twist: {
    twist: { linear: { x: vx, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } },
    covariance: new Array<number>(36).fill(0),
  },
});

/** The lifecycle transitions in a black-box file: `<topic> <goal state>`, in the order recorded. */
async function transitionsIn(path: string): Promise<string[]> {
  const handle = await open(path, 'r');
  try {
    const reader = await mcapCore.McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: await mcapSupport.loadDecompressHandlers(),
    });
    const decode = ros2Reader('lifecycle_msgs/msg/TransitionEvent');
    const out: string[] = [];
    for await (const m of reader.readMessages()) {
      const topic = reader.channelsById.get(m.channelId)!.topic;
      if (!topic.endsWith('/transition_event')) continue;
      const e = decode.readMessage<{ goal_state: { label: string } }>(m.data);
      out.push(`${topic} ${e.goal_state.label}`);
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** The last command (after 50 ms) is a zero, and no other follows within `quietMs`. */
async function expectZeroThenSilence(cmds: number[], quietMs: number): Promise<void> {
  await new Promise((r) => setTimeout(r, 50));
  const n = cmds.length;
  expect(cmds[n - 1]).toBe(0);
  await new Promise((r) => setTimeout(r, quietMs));
  expect(cmds.length).toBe(n);
}

describe('kizuna launch, managed by default: the plan', () => {
  it('adds lifecycle_manager with every planned node, in start order, and starts the others with --managed', () => {
    const opts = parseLaunchArgs(['--profile', 'care', '--robot-id', 'r1']);
    expect(opts.managed).toBe(true);
    // --managed says the default explicitly
    expect(parseLaunchArgs(['--profile', 'care', '--robot-id', 'r1', '--managed']).managed).toBe(true);
    const plan = planLaunch(opts);
    expect(plan.nodes.map((n) => n.name)).toEqual([
      'safety_gate',
      'black_box',
      'perception',
      'executive',
      'health',
      'cloud_bridge',
      MANAGER_NODE,
    ]);
    const mgr = plan.nodes.find((n) => n.name === MANAGER_NODE)!;
    expect(mgr.rosArgs).toContain('node_names:=[safety_gate,black_box,perception,executive,health,cloud_bridge]');
    // black_box gets the profile (its recording policy) on the command line, as the executive and the bridge do
    expect(childCommand(plan, 'black_box').args).toEqual(expect.arrayContaining(['--managed', 'profile:=care']));
    expect(plan.nodes.find((n) => n.name === 'black_box')!.params).toMatchObject({ profile: 'care', pre_s: 20 });
    expect(mgr.critical).toBe(false);
    expect(childCommand(plan, 'safety_gate').args).toContain('--managed');
    expect(childCommand(plan, MANAGER_NODE).args).not.toContain('--managed');
    // without the cloud link, the manager's list leaves it out
    const noBridge = planLaunch({ ...opts, withCloudBridge: false });
    expect(noBridge.nodes.find((n) => n.name === MANAGER_NODE)!.rosArgs).toContain(
      'node_names:=[safety_gate,black_box,perception,executive,health]',
    );
    // --no-lifecycle: no manager, no --managed (every node starts active)
    const plain = planLaunch(parseLaunchArgs(['--profile', 'care', '--robot-id', 'r1', '--no-lifecycle']));
    expect(plain.request.managed).toBe(false);
    expect(plain.nodes.map((n) => n.name)).not.toContain(MANAGER_NODE);
    for (const n of plain.nodes) expect(childCommand(plain, n.name).args).not.toContain('--managed');
    // a request that does not say (kizuna doctor's) is planned managed, as kizuna launch starts it
    const { managed: _unsaid, ...unsaid } = opts;
    expect(planLaunch(unsaid).nodes.map((n) => n.name)).toContain(MANAGER_NODE);
  });

  it('refuses --managed with --no-lifecycle, and a managed start of separate in-process nodes that cannot reach each other', () => {
    const base = ['--profile', 'care', '--robot-id', 'r1'];
    expect(() => parseLaunchArgs([...base, '--managed', '--no-lifecycle'])).toThrow(
      /--managed and --no-lifecycle contradict each other/,
    );
    expect(() => parseLaunchArgs([...base, '--graph', 'inprocess'])).toThrow(
      /--graph inprocess runs each node in a process of its own .* add --compose .* or --no-lifecycle/,
    );
    expect(parseLaunchArgs([...base, '--graph', 'inprocess', '--compose']).managed).toBe(true);
    expect(parseLaunchArgs([...base, '--graph', 'inprocess', '--no-lifecycle']).managed).toBe(false);
  });
});

describe('the managed stack on the in-process graph', () => {
  let graph: InProcessGraph;
  afterEach(async () => {
    await graph.shutdown();
  });

  const managed = async (name: string, params: string[] = []): Promise<RosNode> =>
    (await launchNode(NODES[name]!, { into: { graph, logger }, managed: true, argv: ['--ros-args', ...params] })).node;

  it('lifecycle_manager configures all, then activates all, in start order; nothing is published before', async () => {
    graph = new InProcessGraph({ logger });
    const plan = planLaunch(
      parseLaunchArgs([
        '--profile',
        'care',
        '--robot-id',
        'r1',
        '--no-cloud-bridge',
        '--graph',
        'inprocess',
        '--compose',
      ]),
    );
    const probe = graph.createNode('probe');
    const heard = { world: 0, health: 0, cmd: 0, beat: 0 };
    probe.createSubscription('kizuna_msgs/msg/WorldSummary', TOPICS.worldSummary, () => heard.world++);
    probe.createSubscription('kizuna_msgs/msg/HealthSummary', TOPICS.health, () => heard.health++);
    probe.createSubscription('geometry_msgs/msg/Twist', TOPICS.cmdVel, () => heard.cmd++);
    probe.createSubscription('std_msgs/msg/String', TOPICS.heartbeat, () => heard.beat++);
    const order: string[] = [];
    const stack = plan.nodes.filter((n) => n.name !== MANAGER_NODE).map((n) => n.name);
    for (const n of stack) {
      probe.createSubscription('lifecycle_msgs/msg/TransitionEvent', `/${n}/transition_event`, (e) => {
        if (e.goal_state.id < 10) order.push(`${n} ${e.goal_state.label}`);
      });
    }
    const bbDir = mkdtempSync(join(tmpdir(), 'kizuna-managed-bb-'));
    const nodes: RosNode[] = [];
    for (const n of plan.nodes) {
      if (n.name === MANAGER_NODE) continue;
      // black_box's files in the test's folder; a capture ends at once after its incident
      const extra = n.name === 'black_box' ? ['-p', `dir:=${bbDir}`, '-p', 'post_s:=0.0'] : [];
      nodes.push(await managed(n.name, [...n.rosArgs.slice(1), ...extra]));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(nodes.map((n) => n.lifecycle!.state())).toEqual(stack.map(() => 'unconfigured'));
    expect(heard).toEqual({ world: 0, health: 0, cmd: 0, beat: 0 });

    const mgrPlan = plan.nodes.find((n) => n.name === MANAGER_NODE)!;
    await launchNode(NODES[MANAGER_NODE]!, { into: { graph, logger }, argv: mgrPlan.rosArgs });
    expect(await waitFor(() => nodes.every((n) => n.lifecycle!.state() === 'active'), 5000)).toBe(true);
    await waitFor(() => order.length >= 2 * stack.length, 2000);
    expect(order).toEqual([...stack.map((n) => `${n} inactive`), ...stack.map((n) => `${n} active`)]);
    expect(
      await waitFor(() => heard.world > 0 && heard.health > 0 && heard.cmd > 0 && heard.beat >= stack.length, 3000),
    ).toBe(true);

    // black_box, configured right after the gate, recorded the later nodes' bringup: an operator's capture shows it
    expect(stack.slice(0, 2)).toEqual(['safety_gate', 'black_box']);
    const reply = await probe.createClient('std_srvs/srv/Trigger', '/black_box/capture').call({}, { timeoutSec: 5 });
    expect(reply.success).toBe(true);
    expect(await waitFor(() => listIncidentFiles(bbDir).length === 1, 5000)).toBe(true);
    const recorded = await transitionsIn(listIncidentFiles(bbDir)[0]!.path);
    for (const n of ['perception', 'executive', 'health'])
      expect(recorded.filter((r) => r.startsWith(`/${n}/`))).toEqual(
        ['configuring', 'inactive', 'activating', 'active'].map((s) => `/${n}/transition_event ${s}`),
      );
    rmSync(bbDir, { recursive: true, force: true });
  });

  it('cleanup destroys what configure created: configure, cleanup, configure leaves one subscription per input', async () => {
    graph = new InProcessGraph({ logger });
    const perception = await managed('perception', ['-p', 'rate_hz:=20.0']);
    const probe = graph.createNode('probe');
    const odomPub = probe.createPublisher('nav_msgs/msg/Odometry', TOPICS.odom, 'sensor_data');
    const lc = perception.lifecycle!;
    expect(odomPub.subscriptionCount()).toBe(0); // unconfigured: nothing subscribed yet
    expect(lc.trigger('configure')).toEqual({ success: true, state: 'inactive' });
    expect(odomPub.subscriptionCount()).toBe(1);
    expect(lc.trigger('cleanup')).toEqual({ success: true, state: 'unconfigured' });
    expect(odomPub.subscriptionCount()).toBe(0);
    lc.trigger('configure');
    expect(odomPub.subscriptionCount()).toBe(1);

    // inactive: no summary; active: at rate_hz; deactivated: silent again (its rate timer is gone)
    const got: number[] = [];
    probe.createSubscription('kizuna_msgs/msg/WorldSummary', TOPICS.worldSummary, () => got.push(Date.now()));
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toHaveLength(0);
    lc.trigger('activate');
    expect(await waitFor(() => got.length >= 3, 2000)).toBe(true);
    lc.trigger('deactivate');
    await new Promise((r) => setTimeout(r, 50));
    const n = got.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(got.length).toBe(n);
  });

  it('the executive stops commanding on deactivate: one zero cmd_vel, then silence', async () => {
    graph = new InProcessGraph({ logger });
    const exec = await managed('executive', ['-p', 'profile:=care']);
    const probe = graph.createNode('probe');
    const cmds: number[] = [];
    probe.createSubscription('geometry_msgs/msg/Twist', TOPICS.cmdVelNav, (m) => cmds.push(m.linear.x));
    exec.lifecycle!.trigger('configure');
    exec.lifecycle!.trigger('activate');
    expect(await waitFor(() => cmds.length >= 2, 2000)).toBe(true);
    expect(exec.lifecycle!.trigger('deactivate')).toEqual({ success: true, state: 'inactive' });
    await expectZeroThenSilence(cmds, 300);
  });

  /** A managed safety gate, configured and active, with an odometry publisher and its cmd_vel recorded. */
  async function activeGate(): Promise<{
    lc: NonNullable<RosNode['lifecycle']>;
    odomPub: ReturnType<RosNode['createPublisher']>;
    cmds: number[];
  }> {
    graph = new InProcessGraph({ logger });
    const gate = await managed('safety_gate', ['-p', 'source_timeout_s:=5.0']);
    const probe = graph.createNode('probe');
    const odomPub = probe.createPublisher('nav_msgs/msg/Odometry', TOPICS.odom, 'sensor_data');
    const cmds: number[] = [];
    probe.createSubscription('geometry_msgs/msg/Twist', TOPICS.cmdVel, (m) => cmds.push(m.linear.x));
    const lc = gate.lifecycle!;
    lc.trigger('configure');
    lc.trigger('activate');
    return { lc, odomPub, cmds };
  }

  it('the safety gate refuses deactivate while odometry shows the base moving, then leaves with a zero once still', async () => {
    const { lc, odomPub, cmds } = await activeGate();
    odomPub.publish(odom(0.4));
    await new Promise((r) => setTimeout(r, 50));
    expect(lc.trigger('deactivate')).toEqual({ success: false, state: 'active' });
    expect(await waitFor(() => cmds.length > 3, 2000)).toBe(true); // still active: still publishing

    odomPub.publish(odom(0.01));
    await new Promise((r) => setTimeout(r, 50));
    expect(lc.trigger('deactivate')).toEqual({ success: true, state: 'inactive' });
    await expectZeroThenSilence(cmds, 200);
  });

  it('shutdown from active always proceeds, moving or not, with the zero velocity', async () => {
    const { lc, odomPub, cmds } = await activeGate();
    odomPub.publish(odom(0.4));
    await new Promise((r) => setTimeout(r, 50));
    expect(lc.trigger('shutdown')).toEqual({ success: true, state: 'finalized' });
    await new Promise((r) => setTimeout(r, 50));
    expect(cmds[cmds.length - 1]).toBe(0);
    expect(odomPub.subscriptionCount()).toBe(0); // freed
  });
});

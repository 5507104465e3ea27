/**
 * Managed (lifecycle) nodes on rclnodejs, driven by `ros2 lifecycle`, on real ROS 2 Jazzy: the ground kizuna's
 * managed nodes will stand on. An rclnodejs LifecycleNode (rcl_lifecycle from the wheels; the fixture is
 * support/lifecycle-node.cjs) is listed by `ros2 lifecycle nodes`, taken through configure, activate,
 * deactivate, cleanup and shutdown by `ros2 lifecycle set`, each state read back with `ros2 lifecycle get`;
 * its lifecycle publisher sends only while the node is active. Then kizuna's own: `kizuna run safety_gate
 * --managed` on rclnodejs driven the same way by `ros2 lifecycle set`, and kizuna's lifecycle_manager bringing
 * it up and pausing it through `ros2 service call`.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithRosTools } from './support/gate';
import { root, ros2, ros2Until, start, type Running } from './support/ros2-cli';

describeWithRosTools('ros2 lifecycle on an rclnodejs managed node (real ROS 2 Jazzy)', () => {
  const name = `managed_${process.pid}`;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let node: Running;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kizuna-lifecycle-'));
    env = { ...process.env, ROS_LOG_DIR: join(dir, 'ros-log') };
    node = start(process.execPath, [join(__dirname, 'support', 'lifecycle-node.cjs'), name], env);
    await node.waitFor(/^ready /m);
  }, 60000);

  afterAll(async () => {
    node?.child.kill('SIGINT');
    await Promise.race([node?.exited, new Promise((r) => setTimeout(r, 5000))]);
    node?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `ros2 lifecycle get`'s answer, e.g. 'unconfigured [1]' (retried: "Node not found" until discovery is done). */
  const state = async (): Promise<string> =>
    (await ros2Until(['lifecycle', 'get', `/${name}`], (o) => /\[\d\]/.test(o), env)).stdout.trim();
  /** Whether one message arrives on chatter within 3 s. */
  const hears = async (): Promise<boolean> =>
    (await ros2(['topic', 'echo', '--once', '--timeout', '3', `/chatter`, 'std_msgs/msg/String'], env)).stdout.includes(
      'data: hello',
    );

  it('is listed by ros2 lifecycle nodes and starts unconfigured, with the standard transitions', async () => {
    const nodes = await ros2Until(['lifecycle', 'nodes'], (o) => o.includes(`/${name}`), env);
    expect(nodes.stdout).toMatch(new RegExp(`^/${name}$`, 'm'));
    expect(await state()).toBe('unconfigured [1]');
    const list = await ros2(['lifecycle', 'list', `/${name}`], env);
    expect(list.stdout).toMatch(/- configure \[1\]/);
    expect(list.stdout).toMatch(/- shutdown \[5\]/);
  }, 60000);

  it('goes through configure, activate, deactivate, cleanup and shutdown; publishes only while active', async () => {
    const set = async (t: string): Promise<void> => {
      const r = await ros2(['lifecycle', 'set', `/${name}`, t], env);
      expect(`${t}: ${r.stdout.trim()}`).toBe(`${t}: Transitioning successful`);
      await node.waitFor(new RegExp(`^transition ${t}$`, 'm'), 5000);
    };
    await set('configure');
    expect(await state()).toBe('inactive [2]');
    expect(await hears()).toBe(false);
    await set('activate');
    expect(await state()).toBe('active [3]');
    expect(await hears()).toBe(true);
    await set('deactivate');
    expect(await state()).toBe('inactive [2]');
    expect(await hears()).toBe(false);
    await set('cleanup');
    expect(await state()).toBe('unconfigured [1]');
    await set('shutdown');
    expect(await state()).toBe('finalized [4]');
  }, 120000);
});

describeWithRosTools('kizuna managed safety_gate and lifecycle_manager under ros2 lifecycle (real ROS 2 Jazzy)', () => {
  const ns = `/lc${process.pid}`;
  const gateName = `${ns}/safety_gate`;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const procs: Running[] = [];
  const kizuna = (args: string[]): Running => {
    const r = start(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'nodes', 'cli', 'kizuna.ts'), ...args], env);
    procs.push(r);
    return r;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kizuna-lifecycle-'));
    env = { ...process.env, ROS_LOG_DIR: join(dir, 'ros-log') };
    const gate = kizuna(['run', 'safety_gate', '--graph', 'rclnodejs', '--managed', '--ros-args', '-r', `__ns:=${ns}`]);
    await gate.waitFor(/managed \(unconfigured until configured\)/, 60000);
  }, 90000);

  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGINT');
    await Promise.race([Promise.all(procs.map((p) => p.exited)), new Promise((r) => setTimeout(r, 5000))]);
    for (const p of procs) p.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const state = async (): Promise<string> =>
    (await ros2Until(['lifecycle', 'get', gateName], (o) => /\[\d\]/.test(o), env)).stdout.trim();
  const hearsCmdVel = async (): Promise<boolean> =>
    (
      await ros2(['topic', 'echo', '--once', '--timeout', '3', `${ns}/cmd_vel`, 'geometry_msgs/msg/Twist'], env)
    ).stdout.includes('linear:');
  const set = async (t: string): Promise<void> => {
    const r = await ros2(['lifecycle', 'set', gateName, t], env);
    expect(`${t}: ${r.stdout.trim()}`).toBe(`${t}: Transitioning successful`);
  };

  it('is a lifecycle node to ros2 lifecycle; its cmd_vel is silent unless active', async () => {
    const nodes = await ros2Until(['lifecycle', 'nodes'], (o) => o.includes(gateName), env);
    expect(nodes.stdout).toMatch(new RegExp(`^${gateName}$`, 'm'));
    expect(await state()).toBe('unconfigured [1]');
    expect(await hearsCmdVel()).toBe(false);
    await set('configure');
    expect(await state()).toBe('inactive [2]');
    expect(await hearsCmdVel()).toBe(false);
    await set('activate');
    expect(await state()).toBe('active [3]');
    expect(await hearsCmdVel()).toBe(true);
    await set('deactivate');
    expect(await state()).toBe('inactive [2]');
    expect(await hearsCmdVel()).toBe(false);
    await set('cleanup');
    expect(await state()).toBe('unconfigured [1]');
    // a transition not available now is refused, and the node lives on (rclnodejs alone aborts the process)
    const bad = await ros2(
      ['service', 'call', `${gateName}/change_state`, 'lifecycle_msgs/srv/ChangeState', '{transition: {id: 4}}'],
      env,
    );
    expect(bad.stdout).toMatch(/success=False/);
    expect(await state()).toBe('unconfigured [1]');
  }, 180000);

  it('is brought up by lifecycle_manager, which pauses it on a ros2 service call', async () => {
    const mgr = kizuna([
      'run',
      'lifecycle_manager',
      '--graph',
      'rclnodejs',
      '--ros-args',
      '-r',
      `__ns:=${ns}`,
      '-p',
      'node_names:=[safety_gate]',
    ]);
    await mgr.waitFor(/startup: done/, 60000);
    expect(await state()).toBe('active [3]');
    const active = await ros2(['service', 'call', `${ns}/lifecycle_manager/is_active`, 'std_srvs/srv/Trigger'], env);
    expect(active.stdout).toMatch(/success=True/);
    const pause = await ros2(['service', 'call', `${ns}/lifecycle_manager/pause`, 'std_srvs/srv/Trigger'], env);
    expect(pause.stdout).toMatch(/success=True, message='pause: done'/);
    expect(await state()).toBe('inactive [2]');
  }, 180000);
});

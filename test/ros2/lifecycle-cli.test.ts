/**
 * Managed (lifecycle) nodes on rclnodejs, driven by `ros2 lifecycle`, on real ROS 2 Jazzy: the ground kizuna's
 * managed nodes will stand on. An rclnodejs LifecycleNode (rcl_lifecycle from the wheels; the fixture is
 * support/lifecycle-node.cjs) is listed by `ros2 lifecycle nodes`, taken through configure, activate,
 * deactivate, cleanup and shutdown by `ros2 lifecycle set`, each state read back with `ros2 lifecycle get`;
 * its lifecycle publisher sends only while the node is active.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithRosTools } from './support/gate';
import { ros2, ros2Until, start, type Running } from './support/ros2-cli';

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

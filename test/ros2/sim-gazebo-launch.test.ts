/**
 * `ros2 launch kizuna sim_gazebo.launch.py gazebo:=false` on real ROS 2 Jazzy, from the colcon-built ament
 * package: Gazebo cannot run here, so its own actions (the simulator and ros_gz_bridge) are replaced by the
 * sim_world node — kizuna's built-in sim in the same world, serving the ROS side of the same bridge.yaml —
 * and the launch file's kizuna part runs for real: the released e-stop button (`ros2 topic pub`), kizuna's
 * nodes on sim time (`use_sim_time:=true`, following the /clock sim_world publishes), managed and brought up
 * by lifecycle_manager. Checked: every bridged topic with its type, the nodes' use_sim_time, their stamps in
 * sim time, their inputs fresh, and the loop closed (teleop through the gate moves the simulated robot, whose
 * odometry says so).
 */
import { expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describeWithRosTools } from './support/gate';
import { launchTestEnvironment, root, ros2, ros2Until, start, type Running } from './support/ros2-cli';

const NODES = ['safety_gate', 'black_box', 'perception', 'executive', 'health'];
const bridge = parse(readFileSync(join(root, 'sim', 'gazebo', 'bridge.yaml'), 'utf8')) as Array<{
  ros_topic_name: string;
  ros_type_name: string;
}>;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Seconds of the first `sec:` in a `ros2 topic echo` answer. */
const secOf = (o: string): number => Number(/sec: (\d+)/.exec(o)?.[1] ?? NaN);

describeWithRosTools('ros2 launch kizuna sim_gazebo.launch.py gazebo:=false (real ROS 2 Jazzy)', () => {
  const e = launchTestEnvironment('gazebo');

  it('runs its kizuna part for real against the built-in sim: bridged topics, sim time, the loop closed', async () => {
    // The launch file has no namespace and /clock is global: a ROS domain of its own keeps it apart from the
    // other test files' nodes and clocks.
    const env = { ...e.env, ROS_DOMAIN_ID: String(((Number(process.env.ROS_DOMAIN_ID ?? '0') + 25) % 101) + 1) };
    const t0 = Date.now();
    const launch = start('ros2', ['launch', 'kizuna', 'sim_gazebo.launch.py', 'gazebo:=false'], env);
    const pubs: Running[] = [];
    try {
      const served = await launch.waitFor(
        /sim_world: robot kizuna_robot \(care\) of scenario kizuna_station[^\n]*serving ([^"\n]*)/,
        90000,
      );
      expect(served[1]!.split(', ').sort()).toEqual(bridge.map((b) => b.ros_topic_name).sort());
      for (const n of NODES) {
        await launch.waitFor(
          new RegExp(`running /${n} on the rclnodejs graph, managed \\(unconfigured until configured\\)`),
          90000,
        );
      }
      await launch.waitFor(/\[lifecycle_manager-\d+\][^\n]*startup: done in/, 90000);
      process.stdout.write(
        `sim_gazebo.launch.py gazebo:=false: every node active ${Date.now() - t0} ms after ros2 launch\n`,
      );
      // no Gazebo and no ros_gz bridge were started
      expect(launch.out()).not.toMatch(/gz_sim|parameter_bridge|kizuna_gz_bridge/);

      // every bridged topic, on its ROS name with its ROS type, as ros_gz_bridge would have it
      const topics = await ros2Until(
        ['topic', 'list', '-t'],
        (o) =>
          bridge.every((b) =>
            o.includes(`${b.ros_topic_name.startsWith('/') ? '' : '/'}${b.ros_topic_name} [${b.ros_type_name}]`),
          ),
        env,
      );
      for (const b of bridge) {
        const name = b.ros_topic_name.startsWith('/') ? b.ros_topic_name : `/${b.ros_topic_name}`;
        expect(topics.stdout).toContain(`${name} [${b.ros_type_name}]`);
      }
      // discovery may list some nodes before others: wait for every one
      const nodes = await ros2Until(
        ['node', 'list'],
        (o) => [...NODES, 'sim_world', 'lifecycle_manager'].every((n) => o.includes(`/${n}\n`)),
        env,
      );
      for (const n of [...NODES, 'sim_world', 'lifecycle_manager'])
        expect(nodes.stdout).toMatch(new RegExp(`^/${n}$`, 'm'));

      // kizuna's nodes follow /clock; sim_world itself runs on the wall clock
      for (const n of NODES) {
        const r = await ros2(['param', 'get', `/${n}`, 'use_sim_time'], env);
        expect(`${n}: ${r.stdout.trim()}`).toBe(`${n}: Boolean value is: True`);
        expect(
          `${n}: ${await ros2Until(['lifecycle', 'get', `/${n}`], (o) => /\[\d\]/.test(o), env).then((x) => x.stdout.trim())}`,
        ).toBe(`${n}: active [3]`);
      }
      expect((await ros2(['param', 'get', '/sim_world', 'use_sim_time'], env)).stdout.trim()).toBe(
        'Boolean value is: False',
      );
      const clock = await ros2(['topic', 'echo', '--once', '/clock'], env);
      const simNow = secOf(clock.stdout);
      expect(simNow).toBeLessThan(3600); // sim time since sim_world started, not the wall clock (~1.8e9 s)

      // the gate is fed: scan and odometry from the sim, the e-stop from the launch file's button; its state is
      // stamped in sim time
      const safety = await ros2Until(
        ['topic', 'echo', '--once', '/kizuna/safety_state'],
        (o) => /timed_out_sources:/.test(o) && !/^- (scan|odom|estop)$/m.test(o),
        env,
      );
      expect(safety.stdout).not.toMatch(/^- (scan|odom|estop)$/m);
      expect(secOf(safety.stdout)).toBeLessThan(3600);
      const summary = await ros2(['topic', 'echo', '--once', '/kizuna/world_summary'], env);
      expect(secOf(summary.stdout)).toBeLessThan(3600);
      expect(summary.stdout).toMatch(/^pose_valid: true$/m);

      // the loop: a deliberate start (care starts latched), then teleop through the gate drives the simulated
      // robot forward, as its odometry shows
      const x = async (): Promise<number> => {
        const o = await ros2(['topic', 'echo', '--once', '/odom', 'nav_msgs/msg/Odometry'], env);
        return Number(/position:\n {6}x: (-?[\d.e-]+)/.exec(o.stdout)?.[1] ?? NaN);
      };
      const x0 = await x();
      expect(Math.abs(x0)).toBeLessThan(0.05);
      pubs.push(
        start(
          'ros2',
          ['topic', 'pub', '-r', '20', '/cmd_vel_teleop', 'geometry_msgs/msg/Twist', '{linear: {x: 0.2}}'],
          env,
        ),
      );
      let moved = x0;
      const deadline = Date.now() + 60000;
      while (moved < x0 + 0.2 && Date.now() < deadline) {
        await ros2(['topic', 'pub', '--once', '-w', '1', '/kizuna/motion_start', 'std_msgs/msg/Empty', '{}'], env);
        await sleep(1000);
        moved = await x();
      }
      process.stdout.write(
        `sim_gazebo gazebo:=false: the simulated robot drove from x=${x0.toFixed(3)} to x=${moved.toFixed(3)} m\n`,
      );
      expect(moved).toBeGreaterThan(x0 + 0.2);
      const cmd = await ros2(['topic', 'echo', '--once', '/cmd_vel', 'geometry_msgs/msg/Twist'], env);
      // the gate's output: forward, at most the teleop's 0.2 m/s (near the dock care's slowdown zone caps it
      // below that, e.g. 0.0988 once on a loaded machine)
      const vx = Number(/linear:\n {2}x: (-?[\d.e-]+)/.exec(cmd.stdout)?.[1] ?? NaN);
      expect([vx > 0.02 && vx <= 0.2 + 1e-9, cmd.stdout]).toEqual([true, cmd.stdout]);

      for (const p of pubs) p.kill();
      launch.child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        launch.exited,
        new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 40000))),
      ]);
      clearTimeout(timer);
      expect(code).not.toBe('timeout');
      expect(launch.out()).toMatch(/\[sim_world-\d+\]: process has finished cleanly/);
    } finally {
      for (const p of pubs) p.kill();
      launch.kill();
      await ros2(['daemon', 'stop'], env);
    }
  }, 300000);
});

/**
 * `ros2 launch kizuna kizuna.launch.py` (managed, as by default) and `kizuna.launch.xml managed:=true` (the
 * argument's older name, said explicitly), on real ROS 2 Jazzy, from the colcon-built ament package: every
 * kizuna node starts as a managed node on rclnodejs and lifecycle_manager brings them up; `ros2 lifecycle
 * nodes` lists them and `ros2 lifecycle get` reads each one active; the safety gate refuses `ros2 lifecycle
 * set … deactivate` while `ros2 topic pub` odometry says the base moves; the manager's pause and resume
 * (`ros2 service call`) take every node to inactive and back to active. Then `kizuna launch` (no ROS 2
 * launch), one process per node on rclnodejs, managed as by default: the same bringup, Ctrl-C stops it.
 *
 * ros2 and launch come from the vendored Jazzy sources that `npm run ros:setup` builds (docs/ros2.md);
 * without them these tests skip saying why, and fail with CI=true.
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { writeProfileParams } from '../helpers/profile-params';
import { listIncidentFiles } from '../../nodes/black_box/store';
import { parseCaptureReply } from '../../nodes/core/black-box-capture';
import { describeWithRosTools } from './support/gate';
import { launchParams, launchTestEnvironment, ros2, ros2Until, start, type Running } from './support/ros2-cli';

const STACK = ['safety_gate', 'black_box', 'perception', 'executive', 'health', 'cloud_bridge'];
const FLEET = 'tokyo-east';
const since = (t0: number): string => `${Date.now() - t0} ms`;

describeWithRosTools('ros2 launch kizuna, managed (real ROS 2 Jazzy)', () => {
  const e = launchTestEnvironment('managed');

  // the Python file as it starts by default; the XML file with managed:=true, the older name of lifecycle:=
  describe.each<[string, string[]]>([
    ['kizuna.launch.py', []],
    ['kizuna.launch.xml', ['managed:=true']],
  ])('%s %s', (file, extra) => {
    it('brings every node up managed and active; the gate refuses deactivate while moving; pause and resume', async () => {
      const robot = `lm-${file.endsWith('.py') ? 'py' : 'xml'}`;
      const ns = `/${robot.replace('-', '_')}`;
      const params = launchParams(e, file, robot, ns);
      const probe = await mqtt.connectAsync(e.broker.url, { reconnectPeriod: 0 });
      const statuses: string[] = [];
      probe.on('message', (_t, payload) =>
        statuses.push((JSON.parse(payload.toString()) as { status: string }).status),
      );
      await probe.subscribeAsync(`kizuna/v1/${FLEET}/${robot}/status`, { qos: 1 });
      const state = async (node: string): Promise<string> =>
        (await ros2Until(['lifecycle', 'get', `${ns}/${node}`], (o) => /\[\d\]/.test(o), e.env)).stdout.trim();

      const t0 = Date.now();
      const launch = start(
        'ros2',
        [
          'launch',
          'kizuna',
          file,
          `robot_id:=${robot}`,
          `fleet:=${FLEET}`,
          'profile:=care',
          `params_file:=${params}`,
          `broker_url:=${e.broker.url}`,
          `namespace:=${ns}`,
          ...extra,
        ],
        e.env,
      );
      let pub: Running | undefined;
      try {
        for (const n of STACK) {
          await launch.waitFor(
            new RegExp(`running ${ns}/${n} on the rclnodejs graph, managed \\(unconfigured until configured\\)`),
            60000,
          );
        }
        await launch.waitFor(/\[lifecycle_manager-\d+\][^\n]*startup: done in/, 90000);
        process.stdout.write(`${file}: every node active ${since(t0)} after ros2 launch\n`);

        const listed = await ros2Until(
          ['lifecycle', 'nodes'],
          (o) => STACK.every((n) => o.includes(`${ns}/${n}\n`)),
          e.env,
        );
        for (const n of STACK) expect(listed.stdout).toMatch(new RegExp(`^${ns}/${n}$`, 'm'));
        for (const n of STACK) expect(`${n}: ${await state(n)}`).toBe(`${n}: active [3]`);
        // configure connected the bridge; active, the stack publishes
        const deadline = Date.now() + 30000;
        while (!statuses.includes('online') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(statuses).toContain('online');
        const summary = await ros2(['topic', 'echo', '--once', `${ns}/kizuna/world_summary`], e.env);
        expect(summary.stdout).toMatch(/^header:\n {2}stamp:/m);
        const isActive = await ros2(
          ['service', 'call', `${ns}/lifecycle_manager/is_active`, 'std_srvs/srv/Trigger'],
          e.env,
        );
        expect(isActive.stdout).toMatch(/success=True/);

        // black_box runs with the stack: an operator's request records into an incident file in the folder its
        // parameter file gives (complete post_s, 5 s, later), as `ros2 service call` shows
        const capture = await ros2(['service', 'call', `${ns}/black_box/capture`, 'std_srvs/srv/Trigger'], e.env);
        const bbDir = `${params}.black_box`;
        // (a bench without sensors may have had an incident already, a node fault after startup_grace_s: the
        // request then records into a new file, or joins that capture)
        const reply = parseCaptureReply(/message='([^']*)'/.exec(capture.stdout)?.[1] ?? capture.stdout);
        expect(capture.stdout).toMatch(/success=True/);
        expect(reply?.path).toBe(join(bbDir, `${reply?.id ?? '?'}.mcap`));
        const bbDeadline = Date.now() + 20000;
        while (!listIncidentFiles(bbDir).some((f) => f.id === reply?.id) && Date.now() < bbDeadline)
          await new Promise((r) => setTimeout(r, 200));
        expect(listIncidentFiles(bbDir).map((f) => f.id)).toContain(reply!.id);
        process.stdout.write(
          `${file}: black box files ${listIncidentFiles(bbDir)
            .map((f) => f.id)
            .join(', ')}\n`,
        );

        // odometry says the base moves at 0.5 m/s: the gate will not leave active
        pub = start(
          'ros2',
          [
            'topic',
            'pub',
            '-r',
            '20',
            // the gate, perception and the executive subscribe to odometry
            '-w',
            '3',
            `${ns}/odom`,
            'nav_msgs/msg/Odometry',
            '{header: {frame_id: odom}, child_frame_id: base_link, twist: {twist: {linear: {x: 0.5}}}}',
          ],
          e.env,
        );
        await pub.waitFor(/publishing #5:/, 30000);
        const refused = await ros2(['lifecycle', 'set', `${ns}/safety_gate`, 'deactivate'], e.env);
        expect(`${refused.stdout}${refused.stderr}`.trim()).toBe('Transitioning failed');
        expect(await state('safety_gate')).toBe('active [3]');
        expect(launch.out()).toMatch(/deactivate refused: base moving at 0\.500 m\/s/);
        pub.kill();
        await pub.exited;
        pub = undefined;

        // pause: every node inactive, in reverse order (the gate, last, sees stale odometry: still)
        const pause = await ros2(['service', 'call', `${ns}/lifecycle_manager/pause`, 'std_srvs/srv/Trigger'], e.env);
        expect(pause.stdout).toMatch(/success=True, message='pause: done'/);
        for (const n of STACK) expect(`${n}: ${await state(n)}`).toBe(`${n}: inactive [2]`);
        const resume = await ros2(['service', 'call', `${ns}/lifecycle_manager/resume`, 'std_srvs/srv/Trigger'], e.env);
        expect(resume.stdout).toMatch(/success=True, message='resume: done'/);
        for (const n of STACK) expect(`${n}: ${await state(n)}`).toBe(`${n}: active [3]`);

        const transitions = launch
          .out()
          .split('\n')
          .filter((l) => /lifecycle (configure|activate|deactivate)|startup: done|refused|pause|resume/.test(l));
        process.stdout.write(
          `--- ${file} ${extra.join(' ')}, transitions (real run) ---\n${transitions.join('\n')}\n---\n`,
        );
        // Ctrl-C: everything stops cleanly
        launch.child.kill('SIGINT');
        let timer: NodeJS.Timeout | undefined;
        const code = await Promise.race([
          launch.exited,
          new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 40000))),
        ]);
        clearTimeout(timer);
        expect(code).not.toBe('timeout');
        expect(launch.out()).toMatch(/\[lifecycle_manager-\d+\]: process has finished cleanly/);
      } finally {
        pub?.kill();
        launch.kill();
        await probe.endAsync();
      }
    }, 300000);
  });

  it('kizuna launch (no ROS 2 launch): one process per node on rclnodejs, managed as by default; Ctrl-C stops it', async () => {
    const robot = 'lm-kizuna';
    const params = writeProfileParams('care', join(e.dir, `${robot}.yaml`), {
      store_path: join(e.dir, `${robot}.sqlite`),
      reconnect_min_s: 0.1,
    });
    // kizuna launch has no namespace: its nodes are /safety_gate ..., so a ROS domain of their own keeps them
    // apart from the other test files' nodes of the same names
    const domain = String(((Number(process.env.ROS_DOMAIN_ID ?? '0') + 50) % 101) + 1);
    const env = { ...e.env, ROS_DOMAIN_ID: domain };
    const probe = await mqtt.connectAsync(e.broker.url, { reconnectPeriod: 0 });
    const statuses: string[] = [];
    probe.on('message', (_t, payload) => statuses.push((JSON.parse(payload.toString()) as { status: string }).status));
    await probe.subscribeAsync(`kizuna/v1/${FLEET}/${robot}/status`, { qos: 1 });
    const t0 = Date.now();
    const launch = start(
      process.execPath,
      [
        join(e.prefix, 'share', 'kizuna', 'bin', 'kizuna.js'),
        'launch',
        '--profile',
        'care',
        '--robot-id',
        robot,
        '--fleet',
        FLEET,
        '--params',
        params,
        '--broker',
        e.broker.url,
      ],
      env,
    );
    try {
      for (const n of STACK) {
        await launch.waitFor(
          new RegExp(
            `\\[${n} *\\] .*running /${n} on the rclnodejs graph, managed \\(unconfigured until configured\\)`,
          ),
          60000,
        );
      }
      await launch.waitFor(/\[lifecycle_manager *\] [^\n]*startup: done in/, 90000);
      process.stdout.write(`kizuna launch: every node active ${since(t0)} after the start\n`);
      const listed = await ros2Until(['lifecycle', 'nodes'], (o) => STACK.every((n) => o.includes(`/${n}\n`)), env);
      for (const n of STACK) expect(listed.stdout).toMatch(new RegExp(`^/${n}$`, 'm'));
      for (const n of STACK) {
        const got = await ros2Until(['lifecycle', 'get', `/${n}`], (o) => /\[\d\]/.test(o), env);
        expect(`${n}: ${got.stdout.trim()}`).toBe(`${n}: active [3]`);
      }
      const deadline = Date.now() + 30000;
      while (!statuses.includes('online') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(statuses).toContain('online');
      const isActive = await ros2(['service', 'call', '/lifecycle_manager/is_active', 'std_srvs/srv/Trigger'], env);
      expect(isActive.stdout).toMatch(/success=True/);

      launch.child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        launch.exited,
        new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 40000))),
      ]);
      clearTimeout(timer);
      expect(`${code}\n${launch.out().slice(-1500)}`).toMatch(/^0\n/);
      expect(launch.out()).toMatch(/kizuna launch: stopping: SIGINT received/);
      const d2 = Date.now() + 10000;
      while (statuses.at(-1) !== 'offline' && Date.now() < d2) await new Promise((r) => setTimeout(r, 100));
      expect(statuses.at(-1)).toBe('offline');
    } finally {
      launch.kill();
      await probe.endAsync();
      // the ros2 daemon of this domain (the sandbox stops only its own domain's)
      await ros2(['daemon', 'stop'], env);
    }
  }, 240000);
});

/**
 * ROS 2's own tools on kizuna, on real ROS 2 Jazzy: `ros2 launch kizuna kizuna.launch.py` and
 * `kizuna.launch.xml` from the colcon-built ament package start every node on rclnodejs against a real
 * mosquitto broker — managed, as by default, brought up by lifecycle_manager — and a technician's `ros2`
 * commands see, read and tune them: `node list`, `lifecycle nodes` / `get`, `service call` of the manager,
 * `topic list -t`, `topic echo --once`, `param get` / `param set` (a settable parameter accepted, a read-only
 * one refused with the reason), `service list`, `interface show`, `doctor`. A killed perception makes the
 * manager hold the robot safe and bring the stack back when launch has respawned it; killing the safety
 * gate's process takes the stack down. `lifecycle:=false` starts the nodes active without the manager. And a
 * launch_testing test of one node (launch_testing/), run with `launch_test`.
 *
 * ros2 and launch come from the vendored Jazzy sources that `npm run ros:setup` builds (docs/ros2.md).
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { writeProfileParams } from '../helpers/profile-params';
import { describeWithRosTools } from './support/gate';
import { alive, launchParams, launchTestEnvironment, ros2, ros2Until, start, type Ran } from './support/ros2-cli';

const STACK = ['safety_gate', 'black_box', 'perception', 'executive', 'health', 'cloud_bridge'];
const FLEET = 'tokyo-east';

/** Milliseconds since t0, for the timings this test logs. */
const since = (t0: number): string => `${Date.now() - t0} ms`;

describeWithRosTools('ros2 launch and the ros2 command line on kizuna (real ROS 2 Jazzy)', () => {
  const e = launchTestEnvironment('cli');

  it('finds kizuna and its launch files in the ament index, and shows kizuna_msgs interfaces', async () => {
    const p = await ros2(['pkg', 'prefix', 'kizuna'], e.env);
    expect(p.stdout.trim()).toBe(e.prefix);
    const files = await ros2(['pkg', 'executables', 'kizuna'], e.env);
    expect(files.stdout).toMatch(/^kizuna kizuna$/m);
    const show = await ros2(['interface', 'show', 'kizuna_msgs/msg/Decision'], e.env);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^string decision_id/m);
    // its checks pass; it warns that only loopback exists (the sandbox) and that rosdistro is not installed
    const doctor = await ros2(['doctor'], e.env);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/All \d+ checks passed/);
  }, 60000);

  it('a launch_testing test of perception passes under launch_test, as ROS 2 packages test their nodes', async () => {
    const file = join(__dirname, 'launch_testing', 'test_perception_launch.py');
    const run = start('launch_test', [file], e.env);
    const code = await run.exited;
    expect(`${code}\n${run.out()}`).toMatch(/^0\n/);
    // the node's own lines interleave with unittest's: both test classes ran, each ended OK
    expect(run.out()).toContain('test_world_summary_is_published (');
    expect(run.out()).toContain('test_exits_cleanly_on_sigint (');
    expect(run.out().match(/^OK$/gm)).toHaveLength(2);
    expect(run.out()).not.toMatch(/FAILED|ERROR/);
  }, 120000);

  describe.each(['kizuna.launch.py', 'kizuna.launch.xml'])('ros2 launch kizuna %s', (file) => {
    it('starts every node on rclnodejs; ros2 node/topic/param/service see and tune them; the gate takes the stack down', async () => {
      const robot = `cli-${file.endsWith('.py') ? 'py' : 'xml'}`;
      // A namespace of its own: other test files run nodes named /safety_gate ... in the same ROS domain.
      const ns = `/${robot.replace('-', '_')}`;
      const params = launchParams(e, file, robot, ns);
      // the bridge's birth message, as the national side sees it
      const statusTopic = `kizuna/v1/${FLEET}/${robot}/status`;
      const probe = await mqtt.connectAsync(e.broker.url, { reconnectPeriod: 0 });
      const statuses: string[] = [];
      probe.on('message', (_t, payload) =>
        statuses.push((JSON.parse(payload.toString()) as { status: string }).status),
      );
      await probe.subscribeAsync(statusTopic, { qos: 1 });

      // what a technician would see: every ros2 command below and its answer, printed at the end
      const transcript: string[] = [];
      const note = (args: string[], r: Ran): Ran => {
        transcript.push(`$ ros2 ${args.join(' ')}\n${`${r.stdout}${r.stderr}`.trimEnd()}`);
        return r;
      };
      const tr = async (args: string[]): Promise<Ran> => note(args, await ros2(args, e.env));
      const trUntil = async (args: string[], ok: (o: string) => boolean): Promise<Ran> =>
        note(args, await ros2Until(args, ok, e.env));

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
        ],
        e.env,
      );
      try {
        const pids = new Map<string, number>();
        for (const name of STACK) {
          const m = await launch.waitFor(new RegExp(`\\[(${name})-\\d+\\]: process started with pid \\[(\\d+)\\]`));
          pids.set(name, Number(m[2]));
          await launch.waitFor(new RegExp(`running ${ns}/${name} on the rclnodejs graph`), 60000);
        }
        process.stdout.write(`${file}: six nodes running on rclnodejs after ${since(t0)}\n`);
        const deadline = Date.now() + 30000;
        while (!statuses.includes('online') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(statuses).toContain('online');

        const nodes = await trUntil(['node', 'list'], (o) =>
          [...STACK, 'lifecycle_manager'].every((n) => o.includes(`${ns}/${n}\n`)),
        );
        for (const n of [...STACK, 'lifecycle_manager']) expect(nodes.stdout).toMatch(new RegExp(`^${ns}/${n}$`, 'm'));

        // managed by default: lifecycle_manager has brought every node up
        await launch.waitFor(/\[lifecycle_manager-\d+\][^\n]*startup: done in/, 60000);
        const managed = await trUntil(['lifecycle', 'nodes'], (o) => STACK.every((n) => o.includes(`${ns}/${n}\n`)));
        for (const n of STACK) expect(managed.stdout).toMatch(new RegExp(`^${ns}/${n}$`, 'm'));
        for (const n of STACK) {
          const got = await trUntil(['lifecycle', 'get', `${ns}/${n}`], (o) => /\[\d\]/.test(o));
          expect(`${n}: ${got.stdout.trim()}`).toBe(`${n}: active [3]`);
        }
        const isActive = await tr(['service', 'call', `${ns}/lifecycle_manager/is_active`, 'std_srvs/srv/Trigger']);
        expect(isActive.stdout).toMatch(/success=True, message='active'/);

        const topics = await trUntil(['topic', 'list', '-t'], (o) => o.includes(`${ns}/kizuna/safety_state`));
        expect(topics.stdout).toMatch(
          new RegExp(`^${ns}/kizuna/world_summary \\[kizuna_msgs/msg/WorldSummary\\]$`, 'm'),
        );
        expect(topics.stdout).toMatch(new RegExp(`^${ns}/kizuna/safety_state \\[kizuna_msgs/msg/SafetyState\\]$`, 'm'));
        expect(topics.stdout).toMatch(new RegExp(`^${ns}/cmd_vel \\[geometry_msgs/msg/Twist\\]$`, 'm'));

        const summary = await tr(['topic', 'echo', '--once', `${ns}/kizuna/world_summary`]);
        expect(summary.code).toBe(0);
        expect(summary.stdout).toMatch(/^header:\n {2}stamp:/m);
        // no scan or odometry on this bench: the gate holds the base stopped and says why
        const safety = await tr(['topic', 'echo', '--once', `${ns}/kizuna/safety_state`]);
        expect(safety.code).toBe(0);
        expect(safety.stdout).toMatch(/^state: /m);
        expect(safety.stdout).toMatch(/timed_out_sources:\n(- .*\n)*- scan/m);

        const get = await tr(['param', 'get', `${ns}/safety_gate`, 'max_linear_speed_mps']);
        expect(get.stdout.trim()).toBe('Double value is: 0.6');
        const set = await tr(['param', 'set', `${ns}/safety_gate`, 'max_linear_speed_mps', '0.4']);
        expect(set.stdout.trim()).toBe('Set parameter successful');
        const after = await tr(['param', 'get', `${ns}/safety_gate`, 'max_linear_speed_mps']);
        expect(after.stdout.trim()).toBe('Double value is: 0.4');
        // `ros2 param set` exits 0 when the node refuses: the text (on stderr) is the answer
        const readOnly = await tr(['param', 'set', `${ns}/safety_gate`, 'control_rate_hz', '10.0']);
        expect(readOnly.stderr.trim()).toBe('Setting parameter failed: Parameter control_rate_hz is readonly');
        const still = await tr(['param', 'get', `${ns}/safety_gate`, 'control_rate_hz']);
        expect(still.stdout.trim()).toBe('Double value is: 20.0');

        const services = await trUntil(['service', 'list'], (o) => o.includes(`${ns}/executive/set_parameters`));
        for (const n of STACK) {
          for (const s of ['get_parameters', 'set_parameters', 'list_parameters', 'describe_parameters']) {
            expect(services.stdout).toMatch(new RegExp(`^${ns}/${n}/${s}$`, 'm'));
          }
        }

        // another node dies: launch starts it again (respawn_delay 2 s); meanwhile its bond breaks, so the
        // manager holds the robot safe (the stack reset: the gate deactivated with a zero velocity) and brings
        // the stack back up once every node answers again. The gate's process lives on throughout.
        const tPerception = Date.now();
        const startups = (): number =>
          launch.out().match(/\[lifecycle_manager-\d+\][^\n]*startup: done in/g)?.length ?? 0;
        const before = startups();
        process.kill(pids.get('perception') as number, 'SIGKILL');
        await launch.waitFor(/\[perception-\d+\]: process has died/);
        const back = await launch.waitFor(
          /\[perception-\d+\]: process started with pid \[\d+\][\s\S]*\[perception-\d+\]: process started with pid \[(\d+)\]/,
        );
        pids.set('perception', Number(back[1]));
        await launch.waitFor(
          new RegExp(
            `running ${ns}/perception on the rclnodejs graph[\\s\\S]*running ${ns}/perception on the rclnodejs graph`,
          ),
          60000,
        );
        process.stdout.write(`${file}: perception back ${since(tPerception)} after it was killed\n`);
        await launch.waitFor(/\[lifecycle_manager-\d+\][^\n]*bond broken: perception \(silent/, 30000);
        process.stdout.write(`${file}: manager saw the broken bond ${since(tPerception)} after the kill\n`);
        await launch.waitFor(/\[safety_gate-\d+\][^\n]*lifecycle deactivate: active -> inactive/, 30000);
        // (14 s on a quiet machine; 42 s and more with the rest of the suite beside it: the whole stack
        // goes through cleanup and configure again, over ROS 2 services)
        const deadline3 = Date.now() + 150000;
        while (startups() <= before && Date.now() < deadline3) await new Promise((r) => setTimeout(r, 100));
        expect(startups()).toBeGreaterThan(before);
        process.stdout.write(`${file}: stack active again ${since(tPerception)} after perception was killed\n`);
        for (const n of STACK) {
          const got = await ros2Until(['lifecycle', 'get', `${ns}/${n}`], (o) => o.includes('active [3]'), e.env);
          expect(`${n}: ${got.stdout.trim()}`).toBe(`${n}: active [3]`);
        }
        expect(alive(pids.get('safety_gate') as number)).toBe(true);

        // the gate's process dies: the launch file takes the whole stack down
        transcript.unshift(
          `$ ros2 launch kizuna ${file} robot_id:=${robot} fleet:=${FLEET} profile:=care params_file:=… broker_url:=… namespace:=${ns}\n` +
            [...launch.out().matchAll(/^\[INFO\] \[[a-z_]+-\d+\]: process started with pid \[\d+\]$/gm)]
              .slice(0, STACK.length)
              .map((m) => m[0])
              .join('\n') +
            '\n…',
        );
        const tKill = Date.now();
        process.kill(pids.get('safety_gate') as number, 'SIGKILL');
        let timer: NodeJS.Timeout | undefined;
        const code = await Promise.race([
          launch.exited,
          new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 40000))),
        ]);
        clearTimeout(timer);
        expect(code).not.toBe('timeout');
        process.stdout.write(`${file}: stack down ${since(tKill)} after the gate was killed\n`);
        expect(launch.out()).toMatch(/\[safety_gate-\d+\]: process has died/);
        for (const n of STACK) expect(alive(pids.get(n) as number)).toBe(false);
        // cloud_bridge stopped cleanly: its last word at the e.broker is a retained offline status
        const d2 = Date.now() + 10000;
        while (statuses.at(-1) !== 'offline' && Date.now() < d2) await new Promise((r) => setTimeout(r, 100));
        expect(statuses.at(-1)).toBe('offline');
        process.stdout.write(`--- technician transcript, ${file} (real run) ---\n${transcript.join('\n')}\n---\n`);
      } finally {
        launch.kill();
        await probe.endAsync();
      }
    }, 360000);
  });

  it.each([
    ['factory', ''],
    ['delivery', ''],
    ['farm', ''],
    ['construction', 'lifecycle:=false'],
  ])(
    'ros2 launch kizuna kizuna.launch.py profile:=%s %s brings the six nodes up and its bridge online',
    async (profile, extra) => {
      const robot = `cli-${profile}`;
      const ns = `/cli_${profile}`;
      const params = writeProfileParams(profile, join(e.dir, `${robot}.yaml`), {
        store_path: join(e.dir, `${robot}.sqlite`),
        reconnect_min_s: 0.1,
      });
      const probe = await mqtt.connectAsync(e.broker.url, { reconnectPeriod: 0 });
      const statuses: string[] = [];
      probe.on('message', (_t, payload) =>
        statuses.push((JSON.parse(payload.toString()) as { status: string }).status),
      );
      await probe.subscribeAsync(`kizuna/v1/${FLEET}/${robot}/status`, { qos: 1 });
      const launch = start(
        'ros2',
        [
          'launch',
          'kizuna',
          'kizuna.launch.py',
          `robot_id:=${robot}`,
          `fleet:=${FLEET}`,
          `profile:=${profile}`,
          `params_file:=${params}`,
          `broker_url:=${e.broker.url}`,
          `namespace:=${ns}`,
          ...(extra ? [extra] : []),
        ],
        e.env,
      );
      try {
        for (const name of STACK)
          await launch.waitFor(new RegExp(`running ${ns}/${name} on the rclnodejs graph`), 60000);
        const deadline = Date.now() + 30000;
        while (!statuses.includes('online') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(statuses).toContain('online');
        const nodes = await ros2Until(['node', 'list'], (o) => STACK.every((n) => o.includes(`${ns}/${n}\n`)), e.env);
        for (const n of STACK) expect(nodes.stdout).toMatch(new RegExp(`^${ns}/${n}$`, 'm'));
        if (extra === 'lifecycle:=false') {
          // unmanaged: active from the start, no manager, and no lifecycle services for ros2 lifecycle to find
          expect(launch.out()).not.toMatch(/managed \(unconfigured until configured\)|lifecycle_manager-\d+/);
          expect(nodes.stdout).not.toContain(`${ns}/lifecycle_manager`);
          const lc = await ros2(['lifecycle', 'nodes'], e.env);
          expect(lc.stdout).not.toContain(ns);
          const summary = await ros2(['topic', 'echo', '--once', `${ns}/kizuna/world_summary`], e.env);
          expect(summary.stdout).toMatch(/^header:\n {2}stamp:/m);
        } else {
          await launch.waitFor(/\[lifecycle_manager-\d+\][^\n]*startup: done in/, 60000);
          expect(launch.out()).toMatch(new RegExp(`running ${ns}/safety_gate on the rclnodejs graph, managed`));
        }
        launch.child.kill('SIGINT');
        let timer: NodeJS.Timeout | undefined;
        const code = await Promise.race([
          launch.exited,
          new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 40000))),
        ]);
        clearTimeout(timer);
        expect(code).toBe(0);
      } finally {
        launch.kill();
        await probe.endAsync();
      }
    },
    180000,
  );

  it('ros2 run kizuna starts the gate; ros2 topic pub of a close LaserScan makes it stop', async () => {
    const ns = '/pub_test';
    const gate = start(
      'ros2',
      [
        'run',
        'kizuna',
        'kizuna',
        'run',
        'safety_gate',
        '--graph',
        'rclnodejs',
        '--ros-args',
        '-r',
        `__ns:=${ns}`,
        '--params-file',
        join(e.prefix, 'share', 'kizuna', 'launch', 'params', 'care.yaml'),
        '-p',
        'estop_timeout_s:=0.0', // no e-stop publisher on this bench
      ],
      e.env,
    );
    // 31 beams over ±1.5 rad from the laser (0.15 m ahead of base_link, frame `laser` as care.yaml says)
    const scan = (range: number): string =>
      `{header: {stamp: now, frame_id: laser}, angle_min: -1.5, angle_max: 1.5, angle_increment: 0.1, ` +
      `range_min: 0.05, range_max: 10.0, ranges: [${Array(31).fill(range.toFixed(2)).join(', ')}]}`;
    const pub = (topic: string, type: string, value: string) =>
      start('ros2', ['topic', 'pub', '-r', '20', `${ns}/${topic}`, type, value], e.env);
    const pubs = [
      pub('odom', 'nav_msgs/msg/Odometry', '{header: {stamp: now, frame_id: odom}, child_frame_id: base_link}'),
      pub('cmd_vel_nav', 'geometry_msgs/msg/Twist', '{linear: {x: 0.3}}'),
    ];
    const far = pub('scan', 'sensor_msgs/msg/LaserScan', scan(5.0));
    try {
      await gate.waitFor(new RegExp(`running ${ns}/safety_gate on the rclnodejs graph`), 60000);
      // the way is clear: the command passes, capped (no world summary here, so people may be unseen)
      const moving = await ros2Until(
        ['topic', 'echo', '--once', `${ns}/cmd_vel`, 'geometry_msgs/msg/Twist'],
        (o) => /linear:\n {2}x: 0\.[1-9]/.test(o),
        e.env,
      );
      expect(moving.stdout).toMatch(/linear:\n {2}x: 0\.[1-9]/);
      far.kill();
      pubs.push(pub('scan', 'sensor_msgs/msg/LaserScan', scan(0.3)));
      const stopped = await ros2Until(
        ['topic', 'echo', '--once', `${ns}/kizuna/safety_state`],
        (o) => /^limiting_reason: 1$/m.test(o),
        e.env,
      );
      expect(stopped.stdout).toMatch(/^state: 4$/m); // STATE_STOP
      expect(stopped.stdout).toMatch(/^limiting_reason: 1$/m); // REASON_OBSTACLE
      expect(stopped.stdout).toMatch(/^obstacle_detected: true$/m);
      const zero = await ros2(['topic', 'echo', '--once', `${ns}/cmd_vel`, 'geometry_msgs/msg/Twist'], e.env);
      expect(zero.stdout).toMatch(/linear:\n {2}x: 0\.0\n/);
    } finally {
      for (const p of [...pubs, far]) p.kill();
      gate.child.kill('SIGINT');
      await Promise.race([gate.exited, new Promise((r) => setTimeout(r, 5000))]);
      gate.kill();
    }
  }, 120000);
});

/**
 * What a field technician sees, from one real run on ROS 2 Jazzy: `ros2 launch kizuna kizuna.launch.py`
 * (managed, as by default) against mosquitto, then `ros2 node list`, `ros2 lifecycle nodes` / `get`,
 * `ros2 topic echo --once` of the safety state, `ros2 param get` / `set` (a settable value accepted, a
 * read-only one refused), the manager's pause and resume, and the shutdown: the manager's `shutdown`
 * service (every node finalized, the gate last) and Ctrl-C of `ros2 launch`. Each answer is checked, and the
 * whole session is printed between `--- technician transcript` and `---`: docs/deploy.md, "What a technician
 * sees", is that block pasted from a run of this file.
 *
 *   npm run ros:run -- npx jest test/ros2/technician-transcript.test.ts
 */
import { expect, it } from '@jest/globals';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { writeProfileParams } from '../helpers/profile-params';
import { describeWithRosTools } from './support/gate';
import { launchTestEnvironment, ros2, ros2Until, type Ran, start } from './support/ros2-cli';

const STACK = ['safety_gate', 'black_box', 'perception', 'executive', 'health', 'cloud_bridge'];

describeWithRosTools("a technician's session with the ros2 command line (real ROS 2 Jazzy)", () => {
  const e = launchTestEnvironment('technician');

  it('launch, node list, lifecycle, topic echo, param set, pause and resume, shutdown: one run, printed', async () => {
    const robot = 'care-017';
    const params = writeProfileParams('care', join(e.dir, 'params.yaml'), {
      store_path: join(e.dir, 'outbox.sqlite'),
      reconnect_min_s: 0.1,
    });
    // the root namespace, as on a robot: a ROS domain of its own keeps this robot apart from the other test
    // files' nodes of the same names
    const env = { ...e.env, ROS_DOMAIN_ID: String(((Number(process.env.ROS_DOMAIN_ID ?? '0') + 75) % 101) + 1) };
    const probe = await mqtt.connectAsync(e.broker.url, { reconnectPeriod: 0 });
    const statuses: string[] = [];
    probe.on('message', (_t, payload) => statuses.push((JSON.parse(payload.toString()) as { status: string }).status));
    await probe.subscribeAsync(`kizuna/v1/tokyo-east/${robot}/status`, { qos: 1 });

    const transcript: string[] = [];
    const note = (args: string[], r: Ran): Ran => {
      transcript.push(`$ ros2 ${args.join(' ')}\n${`${r.stdout}${r.stderr}`.trimEnd()}`);
      return r;
    };
    const tr = async (args: string[]): Promise<Ran> => note(args, await ros2(args, env, 60000));
    const trUntil = async (args: string[], ok: (o: string) => boolean): Promise<Ran> =>
      note(args, await ros2Until(args, ok, env));

    const launchArgs = [
      'launch',
      'kizuna',
      'kizuna.launch.py',
      `robot_id:=${robot}`,
      'fleet:=tokyo-east',
      'profile:=care',
      `params_file:=${params}`,
      `broker_url:=${e.broker.url}`,
    ];
    const launch = start('ros2', launchArgs, env);
    try {
      await launch.waitFor(/\[lifecycle_manager-\d+\][^\n]*startup: done in/, 90000);
      const deadline = Date.now() + 30000;
      while (!statuses.includes('online') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(statuses).toContain('online');
      // what ros2 launch printed so far: its own lines, and of the nodes' (JSON) logs the manager's startup
      const shown = launch
        .out()
        .split('\n')
        .filter((l) => /^\[INFO\] \[/.test(l) || /startup: done in/.test(l));
      const hidden =
        launch
          .out()
          .split('\n')
          .filter((l) => l.trim() !== '').length - shown.length;
      transcript.push(
        `$ ros2 ${launchArgs.join(' ')}\n${shown.join('\n')}\n[… ${hidden} lines of the nodes' own logs not shown …]`,
      );

      const nodes = await trUntil(['node', 'list'], (o) =>
        [...STACK, 'lifecycle_manager'].every((n) => o.includes(`/${n}\n`)),
      );
      for (const n of [...STACK, 'lifecycle_manager']) expect(nodes.stdout).toMatch(new RegExp(`^/${n}$`, 'm'));
      const lc = await trUntil(['lifecycle', 'nodes'], (o) => STACK.every((n) => o.includes(`/${n}\n`)));
      for (const n of STACK) expect(lc.stdout).toMatch(new RegExp(`^/${n}$`, 'm'));
      for (const n of STACK) {
        const got = await trUntil(['lifecycle', 'get', `/${n}`], (o) => /\[\d\]/.test(o));
        expect(`${n}: ${got.stdout.trim()}`).toBe(`${n}: active [3]`);
      }

      // no scan, odometry or e-stop on this bench: the gate holds the base and says why
      const safety = await tr(['topic', 'echo', '--once', '/kizuna/safety_state']);
      expect(safety.stdout).toMatch(/^state: [45]$/m);
      expect(safety.stdout).toMatch(/^linear_speed_cap: 0\.0$/m);

      expect((await tr(['param', 'get', '/safety_gate', 'max_linear_speed_mps'])).stdout.trim()).toBe(
        'Double value is: 0.6',
      );
      expect((await tr(['param', 'set', '/safety_gate', 'max_linear_speed_mps', '0.4'])).stdout.trim()).toBe(
        'Set parameter successful',
      );
      expect((await tr(['param', 'get', '/safety_gate', 'max_linear_speed_mps'])).stdout.trim()).toBe(
        'Double value is: 0.4',
      );
      expect((await tr(['param', 'set', '/safety_gate', 'control_rate_hz', '10.0'])).stderr.trim()).toBe(
        'Setting parameter failed: Parameter control_rate_hz is readonly',
      );

      // the whole stack paused and resumed through the manager
      expect((await tr(['service', 'call', '/lifecycle_manager/pause', 'std_srvs/srv/Trigger'])).stdout).toMatch(
        /success=True, message='pause: done'/,
      );
      expect((await trUntil(['lifecycle', 'get', '/safety_gate'], (o) => /\[\d\]/.test(o))).stdout.trim()).toBe(
        'inactive [2]',
      );
      expect((await tr(['service', 'call', '/lifecycle_manager/resume', 'std_srvs/srv/Trigger'])).stdout).toMatch(
        /success=True, message='resume: done'/,
      );
      expect((await trUntil(['lifecycle', 'get', '/safety_gate'], (o) => /\[\d\]/.test(o))).stdout.trim()).toBe(
        'active [3]',
      );

      // shutdown: the manager takes every node down in reverse (the gate last) to finalized, then Ctrl-C
      expect((await tr(['service', 'call', '/lifecycle_manager/shutdown', 'std_srvs/srv/Trigger'])).stdout).toMatch(
        /success=True, message='shutdown: done'/,
      );
      for (const n of STACK) {
        const got = await trUntil(['lifecycle', 'get', `/${n}`], (o) => /\[\d\]/.test(o));
        expect(`${n}: ${got.stdout.trim()}`).toBe(`${n}: finalized [4]`);
      }
      const before = launch.out().length;
      launch.child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        launch.exited,
        new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 40000))),
      ]);
      clearTimeout(timer);
      expect(code).toBe(0);
      const tail = launch
        .out()
        .slice(before)
        .split('\n')
        .filter((l) => /^\[(INFO|WARNING|ERROR)\] \[/.test(l) || /^\^C/.test(l));
      transcript.push(`^C (Ctrl-C in the ros2 launch terminal)\n${tail.join('\n')}`);
      for (const n of [...STACK, 'lifecycle_manager']) {
        expect(launch.out()).toMatch(new RegExp(`\\[${n}-\\d+\\]: process has finished cleanly`));
      }
      // the bridge's last word at the broker: offline
      const d2 = Date.now() + 10000;
      while (statuses.at(-1) !== 'offline' && Date.now() < d2) await new Promise((r) => setTimeout(r, 100));
      expect(statuses.at(-1)).toBe('offline');
      process.stdout.write(
        `--- technician transcript (real run, ${new Date().toISOString()}) ---\n${transcript.join('\n')}\n---\n`,
      );
    } finally {
      launch.kill();
      await probe.endAsync();
      await ros2(['daemon', 'stop'], env);
    }
  }, 300000);
});

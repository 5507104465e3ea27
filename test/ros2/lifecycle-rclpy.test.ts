/**
 * Lifecycle interop with rclpy, both ways, on real ROS 2 Jazzy.
 *
 * kizuna's lifecycle_manager manages a lifecycle node it did not write: an rclpy.lifecycle.Node from the Jazzy
 * wheels (support/rclpy_lifecycle_node.py, a "camera driver" with a lifecycle publisher and no kizuna
 * heartbeat) is in its bringup list after the safety gate; the manager configures both, then activates both,
 * keeps the bond to the rclpy node through its get_state (`polled_node_names`), pauses and resumes it, holds
 * the robot safe when the rclpy process is killed and brings the stack back when it returns, and shuts both
 * down.
 *
 * And rclpy and `ros2 lifecycle` drive kizuna's six nodes (`kizuna run <node> --managed` on rclnodejs)
 * through every transition: rclpy (support/peer.py) over lifecycle_msgs' services, each step's transition
 * events checked; `ros2 lifecycle nodes / list / get / set` the same way; the three shutdown transitions
 * (from unconfigured, inactive and active) each taken.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMosquitto, type MosquittoBroker } from '../helpers/brokers';
import { writeProfileParams } from '../helpers/profile-params';
import { describeWithRosTools } from './support/gate';
import { RclpyPeer } from './support/peer';
import { root, ros2, ros2Until, start, type Running } from './support/ros2-cli';

const since = (t0: number): string => `${Date.now() - t0} ms`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `kizuna run ...` from this source tree, in a process group of its own. */
function kizuna(args: string[], env: NodeJS.ProcessEnv, procs: Running[]): Running {
  const r = start(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'nodes', 'cli', 'kizuna.ts'), ...args], env);
  procs.push(r);
  return r;
}

async function stopAll(procs: Running[]): Promise<void> {
  for (const p of procs) p.child.kill('SIGINT');
  await Promise.race([Promise.all(procs.map((p) => p.exited)), sleep(5000)]);
  for (const p of procs) p.kill();
}

/** `ros2 lifecycle get`'s answer, e.g. 'active [3]' (retried while discovery is not done). */
async function lifecycleGet(node: string, env: NodeJS.ProcessEnv, want?: string): Promise<string> {
  const r = await ros2Until(['lifecycle', 'get', node], (o) => (want ? o.includes(want) : /\[\d\]/.test(o)), env);
  return r.stdout.trim();
}

describeWithRosTools("kizuna's lifecycle_manager manages an rclpy lifecycle node (real ROS 2 Jazzy)", () => {
  const ns = `/lr${process.pid}`;
  const driverName = 'camera_driver';
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let peer: RclpyPeer;
  const procs: Running[] = [];
  let driver: Running;
  let manager: Running;

  const startDriver = async (): Promise<Running> => {
    const d = start(
      'python3',
      [join(__dirname, 'support', 'rclpy_lifecycle_node.py'), driverName, '--ros-args', '-r', `__ns:=${ns}`],
      env,
    );
    procs.push(d);
    await d.waitFor(new RegExp(`^ready ${ns}/${driverName}$`, 'm'), 30000);
    return d;
  };
  const trigger = async (command: string): Promise<string> =>
    (await ros2(['service', 'call', `${ns}/lifecycle_manager/${command}`, 'std_srvs/srv/Trigger'], env, 60000)).stdout;
  const heard = (): number => peer.messages(`${ns}/chatter`).length;
  let gate!: Running;
  /** The rclpy node's callbacks as it printed them. */
  const driverSteps = (): string[] => [...driver.out().matchAll(/^transition (\w+) [\d.]+$/gm)].map((m) => m[1]!);
  /**
   * Transitions of the gate and of the rclpy node, in the order they ran, from each process's own log and its
   * wall-clock time (one machine): `<node> <transition>`.
   */
  const ranSince = (fromMs: number): string[] => {
    const rows: Array<[number, string]> = [];
    for (const m of driver.out().matchAll(/^transition (\w+) ([\d.]+)$/gm)) {
      rows.push([Number(m[2]) * 1000, `${driverName} ${m[1]}`]);
    }
    for (const m of gate.out().matchAll(/"message":"lifecycle (\w+): \w+ -> \w+"[^\n]*"timestamp":"([^"]+)"/g)) {
      rows.push([Date.parse(m[2]!), `safety_gate ${m[1]}`]);
    }
    return rows
      .filter(([t]) => t >= fromMs)
      .sort((a, b) => a[0] - b[0])
      .map(([, what]) => what);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kizuna-lifecycle-rclpy-'));
    env = { ...process.env, ROS_LOG_DIR: join(dir, 'ros-log'), PYTHONUNBUFFERED: '1' };
    peer = await RclpyPeer.start(`lr_peer_${process.pid}`);
    for (const n of ['safety_gate', driverName]) {
      await peer.request('subscribe', {
        topic: `${ns}/${n}/transition_event`,
        type: 'lifecycle_msgs/msg/TransitionEvent',
        qos: { depth: 50 },
      });
    }
    await peer.request('subscribe', { topic: `${ns}/chatter`, type: 'std_msgs/msg/String', qos: { depth: 100 } });
    gate = kizuna(
      ['run', 'safety_gate', '--graph', 'rclnodejs', '--managed', '--ros-args', '-r', `__ns:=${ns}`],
      env,
      procs,
    );
    driver = await startDriver();
    await gate.waitFor(/managed \(unconfigured until configured\)/, 60000);
  }, 120000);

  afterAll(async () => {
    await peer?.stop();
    await stopAll(procs);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('brings the gate and the rclpy node up in bringup order, keeps the bond without a heartbeat, pauses and resumes them', async () => {
    expect(await lifecycleGet(`${ns}/${driverName}`, env)).toBe('unconfigured [1]');
    const t0 = Date.now();
    manager = kizuna(
      [
        'run',
        'lifecycle_manager',
        '--graph',
        'rclnodejs',
        '--ros-args',
        '-r',
        `__ns:=${ns}`,
        '-p',
        `node_names:=[safety_gate,${driverName}]`,
        '-p',
        `polled_node_names:=[${driverName}]`,
        '-p',
        'bond_timeout_s:=2.0',
        '-p',
        'respawn_check_s:=0.5',
      ],
      env,
      procs,
    );
    await manager.waitFor(/startup: done in/, 60000);
    process.stdout.write(`rclpy node and gate active ${since(t0)} after the manager started\n`);
    expect(await lifecycleGet(`${ns}/safety_gate`, env)).toBe('active [3]');
    expect(await lifecycleGet(`${ns}/${driverName}`, env)).toBe('active [3]');
    // the rclpy node's own callbacks ran, in order
    expect(driverSteps()).toEqual(['configure', 'activate']);
    // configure all, then activate all, in node_names order (each process's log, by time)
    expect(ranSince(t0)).toEqual([
      'safety_gate configure',
      `${driverName} configure`,
      'safety_gate activate',
      `${driverName} activate`,
    ]);
    // and an rclpy subscriber saw each of the rclpy node's transitions on its transition_event
    const goals = peer.events
      .filter((ev) => ev.event === 'message' && ev.topic === `${ns}/${driverName}/transition_event`)
      .map((ev) => (ev.data as { goal_state: { label: string } }).goal_state.label);
    expect(goals).toEqual(['configuring', 'inactive', 'activating', 'active']);
    // its lifecycle publisher sends now
    const n0 = heard();
    expect(await peer.waitForEvent((ev) => ev.event === 'message' && ev.topic === `${ns}/chatter`, 5000)).toBeDefined();
    await sleep(1000);
    expect(heard()).toBeGreaterThan(n0);

    // no kizuna heartbeat from it, yet the bond holds (get_state answers active) well past bond_timeout_s
    await sleep(5000);
    expect(manager.out()).not.toMatch(/bond broken/);
    expect(await trigger('is_active')).toMatch(/success=True, message='active'/);

    // pause: both inactive, in reverse order; the rclpy node's publisher falls silent
    const tPause = Date.now();
    expect(await trigger('pause')).toMatch(/success=True, message='pause: done'/);
    expect(await lifecycleGet(`${ns}/${driverName}`, env)).toBe('inactive [2]');
    expect(await lifecycleGet(`${ns}/safety_gate`, env)).toBe('inactive [2]');
    expect(ranSince(tPause)).toEqual([`${driverName} deactivate`, 'safety_gate deactivate']);
    await sleep(300);
    const quiet = heard();
    await sleep(1000);
    expect(heard()).toBe(quiet);
    expect(await trigger('resume')).toMatch(/success=True, message='resume: done'/);
    expect(await lifecycleGet(`${ns}/${driverName}`, env)).toBe('active [3]');
    await sleep(1000);
    expect(heard()).toBeGreaterThan(quiet);
    expect(driverSteps()).toEqual(['configure', 'activate', 'deactivate', 'activate']);
  }, 180000);

  it('holds the robot safe when the rclpy process dies, and brings the stack back when it returns', async () => {
    const t0 = Date.now();
    process.kill(driver.child.pid!, 'SIGKILL');
    await driver.exited;
    const broken = await manager.waitFor(new RegExp(`bond broken: ${driverName} \\(silent (\\d+\\.\\d) s\\)`), 30000);
    process.stdout.write(`bond to the killed rclpy node broken ${since(t0)} after the kill (silent ${broken[1]} s)\n`);
    // the stack reset: the gate deactivated (its zero velocity) and cleaned up; the manager says recovering
    expect(await lifecycleGet(`${ns}/safety_gate`, env, 'unconfigured')).toBe('unconfigured [1]');
    expect(await trigger('is_active')).toMatch(/success=False, message='recovering'/);

    const t1 = Date.now();
    driver = await startDriver();
    const starts = (): number => manager.out().match(/startup: done in/g)?.length ?? 0;
    const deadline = Date.now() + 60000;
    while (starts() < 2 && Date.now() < deadline) await sleep(100);
    expect(manager.out()).toMatch(/every managed node answers again: starting the stack back up/);
    expect(starts()).toBe(2);
    process.stdout.write(`stack active again ${since(t1)} after the rclpy node was started again\n`);
    expect(await lifecycleGet(`${ns}/safety_gate`, env)).toBe('active [3]');
    expect(await lifecycleGet(`${ns}/${driverName}`, env)).toBe('active [3]');
    expect(driverSteps()).toEqual(['configure', 'activate']);
  }, 120000);

  it('shuts the rclpy node and the gate down (finalized), in reverse order', async () => {
    const t0 = Date.now();
    expect(await trigger('shutdown')).toMatch(/success=True, message='shutdown: done'/);
    expect(await lifecycleGet(`${ns}/${driverName}`, env)).toBe('finalized [4]');
    expect(await lifecycleGet(`${ns}/safety_gate`, env)).toBe('finalized [4]');
    expect(driverSteps()).toEqual(['configure', 'activate', 'deactivate', 'cleanup', 'shutdown']);
    // phase by phase, each in reverse bringup order: the rclpy node first, the gate last
    expect(ranSince(t0)).toEqual([
      `${driverName} deactivate`,
      'safety_gate deactivate',
      `${driverName} cleanup`,
      'safety_gate cleanup',
      `${driverName} shutdown`,
      'safety_gate shutdown',
    ]);
    expect(await trigger('is_active')).toMatch(/success=False, message='not active'/);
  }, 120000);
});

// ---------------------------------------------------------------------------------------------

const STACK = ['safety_gate', 'black_box', 'perception', 'executive', 'health', 'cloud_bridge'] as const;
/** rcl_lifecycle's transition ids (lifecycle_msgs/msg/Transition). */
const T = {
  configure: 1,
  cleanup: 2,
  activate: 3,
  deactivate: 4,
  unconfigured_shutdown: 5,
  inactive_shutdown: 6,
  active_shutdown: 7,
} as const;
/** Primary states by id (lifecycle_msgs/msg/State). */
const STATE: Record<number, string> = { 1: 'unconfigured', 2: 'inactive', 3: 'active', 4: 'finalized' };
/** The transition state each transition passes through. */
const VIA: Record<keyof typeof T, string> = {
  configure: 'configuring',
  cleanup: 'cleaningup',
  activate: 'activating',
  deactivate: 'deactivating',
  unconfigured_shutdown: 'shuttingdown',
  inactive_shutdown: 'shuttingdown',
  active_shutdown: 'shuttingdown',
};
const CYCLE: Array<keyof typeof T> = ['configure', 'activate', 'deactivate', 'cleanup', 'configure', 'activate'];

describeWithRosTools(
  "rclpy and ros2 lifecycle drive kizuna's managed nodes through every transition (real ROS 2 Jazzy)",
  () => {
    const ns = `/ld${process.pid}`;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let broker: MosquittoBroker;
    let peer: RclpyPeer;
    const procs: Running[] = [];
    const byNode = new Map<string, Running>();

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'kizuna-lifecycle-drive-'));
      env = { ...process.env, ROS_LOG_DIR: join(dir, 'ros-log') };
      broker = await startMosquitto();
      // sections as `/**/<node>:`, so the nodes in the namespace get them (a bare `cloud_bridge:` is the root's)
      const params = writeProfileParams(
        'care',
        join(dir, 'care.yaml'),
        { store_path: join(dir, 'bridge.sqlite'), reconnect_min_s: 0.1 },
        (doc) => {
          for (const key of Object.keys(doc)) {
            doc[`/**/${key}`] = doc[key]!;
            delete doc[key];
          }
        },
      );
      peer = await RclpyPeer.start(`ld_peer_${process.pid}`);
      for (const n of STACK) {
        await peer.request('subscribe', {
          topic: `${ns}/${n}/transition_event`,
          type: 'lifecycle_msgs/msg/TransitionEvent',
          qos: { depth: 50 },
        });
      }
      const running = STACK.map((n) =>
        kizuna(
          [
            'run',
            n,
            '--graph',
            'rclnodejs',
            '--managed',
            '--ros-args',
            '-r',
            `__ns:=${ns}`,
            '--params-file',
            params,
            ...(n === 'executive' || n === 'cloud_bridge' || n === 'black_box' ? ['-p', 'profile:=care'] : []),
            ...(n === 'cloud_bridge'
              ? ['-p', "robot_id:='ld-1'", '-p', "fleet:='tokyo-east'", '-p', `broker_url:='${broker.url}'`]
              : []),
          ],
          env,
          procs,
        ),
      );
      running.forEach((r, i) => byNode.set(STACK[i]!, r));
      for (const r of running) await r.waitFor(/managed \(unconfigured until configured\)/, 90000);
    }, 180000);

    afterAll(async () => {
      await peer?.stop();
      await stopAll(procs);
      await broker?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    type Event = {
      transition: { id: number };
      start_state: { id: number; label: string };
      goal_state: { id: number; label: string };
    };
    const eventsOf = (node: string): Event[] => peer.messages(`${ns}/${node}/transition_event`) as unknown as Event[];

    it('rclpy reads their states and transitions, then takes four of them through every transition and each shutdown', async () => {
      const call = async <R>(
        node: string,
        srv: string,
        type: string,
        request: Record<string, unknown> = {},
      ): Promise<R> =>
        (await peer.request<{ response: R }>('call', { name: `${ns}/${node}/${srv}`, type, request, timeout: 30 }))
          .response;
      const stateOf = async (node: string): Promise<string> =>
        (await call<{ current_state: { label: string } }>(node, 'get_state', 'lifecycle_msgs/srv/GetState'))
          .current_state.label;

      for (const node of STACK) {
        expect(`${node} ${await stateOf(node)}`).toBe(`${node} unconfigured`);
        const states = await call<{ available_states: Array<{ id: number; label: string }> }>(
          node,
          'get_available_states',
          'lifecycle_msgs/srv/GetAvailableStates',
        );
        expect(states.available_states.map((s) => s.label).sort()).toEqual(
          [
            'activating',
            'active',
            'cleaningup',
            'configuring',
            'deactivating',
            'errorprocessing',
            'finalized',
            'inactive',
            'shuttingdown',
            'unconfigured',
            'unknown',
          ].sort(),
        );
        const transitions = await call<{
          available_transitions: Array<{
            transition: { id: number; label: string };
            start_state: { label: string };
            goal_state: { label: string };
          }>;
        }>(node, 'get_available_transitions', 'lifecycle_msgs/srv/GetAvailableTransitions');
        expect(
          transitions.available_transitions.map(
            (t) => `${t.transition.id} ${t.transition.label}: ${t.start_state.label} -> ${t.goal_state.label}`,
          ),
        ).toEqual(['1 configure: unconfigured -> configuring', '5 shutdown: unconfigured -> shuttingdown']);
      }

      // safety_gate and black_box end with the shutdown from active, perception from inactive, executive from
      // unconfigured
      const plans: Array<[string, Array<keyof typeof T>]> = [
        ['safety_gate', [...CYCLE, 'active_shutdown']],
        ['black_box', [...CYCLE, 'active_shutdown']],
        ['perception', [...CYCLE, 'deactivate', 'inactive_shutdown']],
        ['executive', [...CYCLE, 'deactivate', 'cleanup', 'unconfigured_shutdown']],
      ];
      for (const [node, steps] of plans) {
        let from = 'unconfigured';
        for (const step of steps) {
          const before = eventsOf(node).length;
          const r = await call<{ success: boolean }>(node, 'change_state', 'lifecycle_msgs/srv/ChangeState', {
            transition: { id: T[step] },
          });
          const to = await stateOf(node);
          expect(`${node} ${step}: ${r.success} ${from} -> ${to}`).toBe(
            `${node} ${step}: true ${from} -> ${
              step.endsWith('shutdown')
                ? 'finalized'
                : { configure: 'inactive', activate: 'active', deactivate: 'inactive', cleanup: 'unconfigured' }[
                    step as 'configure'
                  ]
            }`,
          );
          // two events: into the transition state, then out of it into the new primary state
          const deadline = Date.now() + 5000;
          while (eventsOf(node).length < before + 2 && Date.now() < deadline) await sleep(20);
          const evs = eventsOf(node).slice(before);
          expect(evs.map((ev) => `${ev.start_state.label} -> ${ev.goal_state.label}`)).toEqual([
            `${from} -> ${VIA[step]}`,
            `${VIA[step]} -> ${to}`,
          ]);
          expect(STATE[evs[1]!.goal_state.id]).toBe(to);
          from = to;
        }
        // finalized: no transition left, and the node still answers
        const left = await call<{ available_transitions: unknown[] }>(
          node,
          'get_available_transitions',
          'lifecycle_msgs/srv/GetAvailableTransitions',
        );
        expect(left.available_transitions).toEqual([]);
      }
    }, 240000);

    it('ros2 lifecycle nodes / list / get / set take the other two through every transition and a shutdown', async () => {
      const listed = await ros2Until(
        ['lifecycle', 'nodes'],
        (o) => STACK.every((n) => o.includes(`${ns}/${n}\n`)),
        env,
      );
      for (const n of STACK) expect(listed.stdout).toMatch(new RegExp(`^${ns}/${n}$`, 'm'));
      const plans: Array<[string, string[], string]> = [
        ['health', ['configure', 'activate', 'deactivate', 'cleanup', 'configure', 'activate', 'shutdown'], 'active'],
        ['cloud_bridge', ['configure', 'activate', 'deactivate', 'cleanup', 'configure', 'shutdown'], 'inactive'],
      ];
      for (const [node, steps, shutdownFrom] of plans) {
        const name = `${ns}/${node}`;
        const list = await ros2(['lifecycle', 'list', name], env);
        expect(list.stdout).toMatch(/- configure \[1\]\n\tStart: unconfigured\n\tGoal: configuring/);
        expect(list.stdout).toMatch(/- shutdown \[5\]\n\tStart: unconfigured\n\tGoal: shuttingdown/);
        for (const step of steps) {
          if (step === 'shutdown') {
            // `ros2 lifecycle list` in this state offers the shutdown from here
            const here = await ros2(['lifecycle', 'list', name], env);
            expect(here.stdout).toMatch(
              new RegExp(`- shutdown \\[\\d\\]\\n\\tStart: ${shutdownFrom}\\n\\tGoal: shuttingdown`),
            );
          }
          const r = await ros2(['lifecycle', 'set', name, step], env, 60000);
          const answer = `${r.stdout}${r.stderr}`.trim();
          // on a failure, the node's own log says why
          const why = answer === 'Transitioning successful' ? '' : `\n${byNode.get(node)?.out().slice(-2000) ?? ''}`;
          expect(`${node} ${step}: ${answer}${why}`).toBe(`${node} ${step}: Transitioning successful`);
          const want = {
            configure: 'inactive [2]',
            activate: 'active [3]',
            deactivate: 'inactive [2]',
            cleanup: 'unconfigured [1]',
            shutdown: 'finalized [4]',
          }[step]!;
          expect(`${node} after ${step}: ${await lifecycleGet(name, env)}`).toBe(`${node} after ${step}: ${want}`);
        }
      }
      // every one of the six is finalized now, and ros2 lifecycle get says so
      for (const n of STACK) expect(`${n}: ${await lifecycleGet(`${ns}/${n}`, env)}`).toBe(`${n}: finalized [4]`);
    }, 240000);
  },
);

/**
 * launch/kizuna.launch.py and launch/kizuna.launch.xml.
 *
 * Always: both parse (Python ast, XML parser), declare the same arguments, each with a description, and
 * start the same nodes with the same restart rules.
 *
 * For real, when a Python with ROS 2's `launch` and `launch_xml` packages is found (KIZUNA_LAUNCH_PYTHON,
 * the ROS venv of `npm run ros:setup`, or python3): each file is run through LaunchService exactly as
 * `ros2 launch` runs it, inside a network namespace with only `lo` where one can be made, with the nodes on
 * the in-process graph (no ROS 2 middleware needed). A killed node respawns; a killed safety gate takes
 * the whole launch down. `npm run ros:setup` builds launch into the ROS 2 environment; without such a
 * Python these tests skip and say why, and with CI=true they fail instead.
 */
import { describe, it, expect, beforeAll } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODES } from '../../nodes/registry';
import { describeUnless, rosUnavailableReason } from '../ros2/support/gate';
import { watchOutput } from '../ros2/support/ros2-cli';

const root = join(__dirname, '..', '..');
const PY_FILE = join(root, 'launch', 'kizuna.launch.py');
const XML_FILE = join(root, 'launch', 'kizuna.launch.xml');
const RUNNER = join(root, 'test', 'helpers', 'run_launch.py');
const ISSUE_ARGS = [
  'robot_id',
  'fleet',
  'profile',
  'params_file',
  'broker_url',
  'namespace',
  'use_sim_time',
  'log_level',
];
const STACK = ['safety_gate', 'black_box', 'perception', 'executive', 'health', 'cloud_bridge'];

interface LaunchShape {
  args: Array<{ name: string; description: string; default?: string | null; choices?: string[] | null }>;
  nodes: Array<{ name: string; respawn: boolean; shutdownOnExit: boolean; cmd: string }>;
}

function python(code: string, ...args: string[]): string {
  const r = spawnSync('python3', ['-c', code, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}

/** The Python launch file read without running it: its ARGUMENTS table and NODES list via ast. */
function pythonShape(): LaunchShape {
  const out = python(
    `
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read(), sys.argv[1])
found = {}
for node in tree.body:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        try:
            found[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            pass
consts = {k: v for k, v in found.items()
          if isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))}
args = []
for item in ast.walk(tree):
    if isinstance(item, ast.Assign) and getattr(item.targets[0], 'id', '') == 'ARGUMENTS':
        for row in item.value.elts:
            name, default, choices, desc = row.elts
            def value(n):
                if isinstance(n, ast.Name):
                    return consts[n.id]
                return ast.literal_eval(n)
            args.append({'name': value(name), 'default': value(default), 'choices': value(choices), 'description': value(desc)})
print(json.dumps({'args': args, 'NODES': found['NODES'], 'SAFETY_NODE': found['SAFETY_NODE']}))
`,
    PY_FILE,
  );
  const parsed = JSON.parse(out) as { args: LaunchShape['args']; NODES: string[]; SAFETY_NODE: string };
  const source = readFileSync(PY_FILE, 'utf8');
  return {
    args: parsed.args,
    nodes: parsed.NODES.map((name) => ({
      name,
      respawn: name !== parsed.SAFETY_NODE && /respawn=not is_gate/.test(source),
      shutdownOnExit: name === parsed.SAFETY_NODE && /OnProcessExit\(\s*target_action=process/.test(source),
      cmd: '',
    })),
  };
}

/** The XML launch file through Python's XML parser: every <arg> and <executable>. */
function xmlShape(): LaunchShape {
  const out = python(
    `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'launch', root.tag
args = [{'name': a.get('name'), 'default': a.get('default'), 'description': a.get('description') or '',
         'choices': [c.get('value') for c in a.findall('choice')] or None} for a in root.findall('arg')]
nodes = [{'name': e.get('name'), 'respawn': e.get('respawn') == 'true', 'shutdownOnExit': e.get('on_exit') == 'shutdown',
          'cmd': e.get('cmd')} for e in root.findall('executable')]
print(json.dumps({'args': args, 'nodes': nodes}))
`,
    XML_FILE,
  );
  return JSON.parse(out) as LaunchShape;
}

describe('launch files, read without running', () => {
  const py = pythonShape();
  const xml = xmlShape();

  it('declare every argument the issue names, the same set in Python and XML, each with a description', () => {
    const pyNames = py.args.map((a) => a.name);
    const xmlNames = xml.args.map((a) => a.name);
    for (const name of ISSUE_ARGS) {
      expect(pyNames).toContain(name);
      expect(xmlNames).toContain(name);
    }
    expect([...xmlNames].sort()).toEqual([...pyNames].sort());
    for (const a of [...py.args, ...xml.args]) expect(a.description.length).toBeGreaterThan(20);
    // robot_id and profile are required in both (no default), and profile is limited to the five profiles
    for (const shape of [py, xml]) {
      const byName = new Map(shape.args.map((a) => [a.name, a]));
      expect(byName.get('robot_id')?.default ?? null).toBeNull();
      expect(byName.get('profile')?.default ?? null).toBeNull();
      expect(byName.get('profile')?.choices).toEqual(['care', 'factory', 'delivery', 'farm', 'construction']);
      expect(byName.get('log_level')?.choices).toEqual(['debug', 'info', 'warn', 'error', 'fatal']);
    }
  });

  it('start the same six nodes (black_box among them); only the safety gate does not respawn, and its exit shuts the launch down', () => {
    // lifecycle:=true (the default) adds lifecycle_manager (in XML twice: with and without cloud_bridge in its list)
    const stackOf = (shape: LaunchShape) => shape.nodes.filter((n) => n.name !== 'lifecycle_manager');
    for (const shape of [py, xml]) {
      expect(
        stackOf(shape)
          .map((n) => n.name)
          .sort(),
      ).toEqual([...STACK].sort());
      for (const n of shape.nodes) {
        expect(n.respawn).toBe(n.name !== 'safety_gate');
        expect(n.shutdownOnExit).toBe(n.name === 'safety_gate');
      }
    }
    // every node is one `kizuna run` knows
    for (const name of STACK) expect(NODES[name]).toBeDefined();
    for (const n of stackOf(xml)) {
      expect(n.cmd).toContain(
        `/../bin/kizuna.js run ${n.name} --graph $(var graph) --managed=$(var managed) --ros-args`,
      );
      expect(n.cmd).toContain('--params-file $(var params_file) -p use_sim_time:=$(var use_sim_time)');
    }
    // in start order, black_box right after the gate (up before the nodes it records, down after them)
    expect(py.nodes.map((n) => n.name)).toEqual(STACK);
    expect(stackOf(xml).map((n) => n.name)).toEqual(STACK);
    // the nodes with a profile (black_box: its recording policy) get it from the launch argument
    for (const n of stackOf(xml))
      expect(n.cmd.includes('-p profile:=$(var profile)')).toBe(
        ['executive', 'cloud_bridge', 'black_box'].includes(n.name),
      );
    expect(readFileSync(PY_FILE, 'utf8')).toContain("if node in ('executive', 'cloud_bridge', 'black_box'):");
  });

  it('lifecycle:=true (the default; managed:= its older name) adds lifecycle_manager with the started nodes in start order, and --managed to each', () => {
    for (const shape of [py, xml]) {
      const lifecycle = shape.args.find((a) => a.name === 'lifecycle');
      expect(lifecycle?.default).toBe('true');
      expect(lifecycle?.choices).toEqual(['true', 'false']);
      // managed follows lifecycle unless given itself
      const managed = shape.args.find((a) => a.name === 'managed');
      expect(managed?.default).toBe('$(var lifecycle)');
      expect(managed?.choices).toEqual(['true', 'false']);
    }
    // lifecycle is declared first, so managed's default can read it
    for (const shape of [py, xml]) {
      const names = shape.args.map((a) => a.name);
      expect(names.indexOf('lifecycle')).toBeLessThan(names.indexOf('managed'));
    }
    const managers = xml.nodes.filter((n) => n.name === 'lifecycle_manager');
    expect(managers.map((m) => m.cmd.match(/node_names:=\[([^\]]*)\]/)?.[1])).toEqual([
      'safety_gate,black_box,perception,executive,health,cloud_bridge',
      'safety_gate,black_box,perception,executive,health',
    ]);
    const source = readFileSync(PY_FILE, 'utf8');
    expect(source).toContain("*(['--managed'] if managed and node != MANAGER_NODE else [])");
    expect(source).toContain("cmd += ['-p', 'node_names:=[' + ','.join(nodes) + ']']");
    expect(source).toContain("kwargs['default_value'] = LaunchConfiguration('lifecycle')");
  });

  it('default to the profile YAML next to the launch file, which exists for every profile', () => {
    const xmlDefault = xml.args.find((a) => a.name === 'params_file')?.default;
    expect(xmlDefault).toBe('$(dirname)/params/$(var profile).yaml');
    for (const p of ['care', 'factory', 'delivery', 'farm', 'construction']) {
      expect(existsSync(join(root, 'launch', 'params', `${p}.yaml`))).toBe(true);
    }
    expect(readFileSync(PY_FILE, 'utf8')).toContain("os.path.join(HERE, 'params', f'{profile}.yaml')");
  });
});

// ---------------------------------------------------------------------------------------------
// For real

/** A Python that imports launch and launch_xml, or why there is none. */
function findLaunchPython(): { python?: string; prefix?: string; why: string } {
  const candidates = [
    process.env.KIZUNA_LAUNCH_PYTHON,
    join(root, '.cache', 'ros', 'venv', 'bin', 'python'),
    'python3',
  ].filter((c): c is string => !!c);
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', 'import sys, launch, launch_xml; print(sys.prefix)'], { encoding: 'utf8' });
    if (r.status === 0) return { python: c, prefix: r.stdout.trim(), why: '' };
  }
  return {
    why:
      `no Python with ROS 2's launch and launch_xml packages (tried ${candidates.join(', ')}); ` +
      'set KIZUNA_LAUNCH_PYTHON to one (docs/deploy.md, "Testing the launch files")',
  };
}

const found = findLaunchPython();
const canNetns = spawnSync('unshare', ['--net', 'true']).status === 0;

interface Running {
  child: ChildProcess;
  out: () => string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

function runLaunch(file: string, args: string[]): Running {
  const logDir = mkdtempSync(join(tmpdir(), 'kizuna-launch-log-'));
  const cmd = [found.python as string, RUNNER, file, ...args];
  const env = {
    ...process.env,
    ROS_LOG_DIR: logDir,
    // black_box's default folder ($XDG_STATE_HOME/kizuna/black_box) in the test's, not the user's
    XDG_STATE_HOME: logDir,
    // launch's XML front end finds its grammar through the ament index, as on a sourced ROS 2 install
    AMENT_PREFIX_PATH: [found.prefix, process.env.AMENT_PREFIX_PATH].filter(Boolean).join(':'),
    ROS_DOMAIN_ID: String(1 + Math.floor(Math.random() * 100)),
    PYTHONUNBUFFERED: '1',
  };
  // inside the ROS sandbox (scripts/ros-sandbox.sh) already: its network namespace has only lo
  const child =
    canNetns && process.env.KIZUNA_ROS_SANDBOX !== 'netns'
      ? spawn('unshare', ['--net', '--', 'bash', '-c', 'ip link set lo up && exec "$@"', 'netns', ...cmd], { env })
      : spawn(cmd[0] as string, cmd.slice(1), { env });
  return watchOutput(child);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeUnless(
  found.python ? undefined : found.why,
  'launch files, run for real through ROS 2 launch (nodes on the in-process graph)',
  () => {
    beforeAll(() => {
      const r = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
    }, 120000);

    // In separate processes on the in-process graph no node can reach another, so these start unmanaged: with
    // lifecycle:=false, and for the XML file with its older name managed:=false.
    describe.each([
      ['kizuna.launch.py', PY_FILE, 'lifecycle:=false'],
      ['kizuna.launch.xml', XML_FILE, 'managed:=false'],
    ])('%s', (_label, file, unmanaged) => {
      it(`starts every node (${unmanaged}), respawns a killed node, and shuts everything down when the safety gate dies`, async () => {
        const run = runLaunch(file, [
          'robot_id:=r1',
          'profile:=care',
          'graph:=inprocess',
          unmanaged,
          'with_cloud_bridge:=false',
          'namespace:=/robot7',
          'params_file:=' + join(root, 'launch', 'params', 'care.yaml'),
        ]);
        try {
          const pids = new Map<string, number>();
          for (const name of ['safety_gate', 'black_box', 'perception', 'executive', 'health']) {
            const m = await run.waitFor(new RegExp(`\\[(${name})-\\d+\\]: process started with pid \\[(\\d+)\\]`));
            pids.set(name, Number(m[2]));
            await run.waitFor(new RegExp(`running /robot7/${name} on the inprocess graph`));
          }
          // cloud_bridge left out on request; unmanaged: active at once, no manager
          expect(run.out()).not.toMatch(/cloud_bridge-\d+\]: process started/);
          expect(run.out()).not.toMatch(/lifecycle_manager-\d+\]: process started/);
          expect(run.out()).not.toMatch(/managed \(unconfigured until configured\)/);

          process.kill(pids.get('perception') as number, 'SIGKILL');
          await run.waitFor(/\[perception-\d+\]: process has died/);
          const again = await run.waitFor(
            /\[perception-\d+\]: process started with pid \[(\d+)\][\s\S]*\[perception-\d+\]: process started with pid \[(\d+)\]/,
          );
          expect(Number(again[2])).not.toBe(pids.get('perception'));
          await run.waitFor(
            /running \/robot7\/perception on the inprocess graph[\s\S]*running \/robot7\/perception on the inprocess graph/,
          );

          process.kill(pids.get('safety_gate') as number, 'SIGKILL');
          let timer: NodeJS.Timeout | undefined;
          const code = await Promise.race([
            run.exited,
            new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 30000))),
          ]);
          clearTimeout(timer);
          expect(code).not.toBe('timeout');
          expect(run.out()).toMatch(/\[safety_gate-\d+\]: process has died/);
          for (const name of ['black_box', 'executive', 'health']) expect(alive(pids.get(name) as number)).toBe(false);
          // a clean stop of the others: SIGINT, `kizuna run` exits 0, not killed
          expect(run.out()).toMatch(/\[executive-\d+\]: process has finished cleanly/);
        } finally {
          if (run.child.exitCode === null) run.child.kill('SIGKILL');
        }
      }, 90000);
    });

    it('kizuna.launch.py moves the parameter file under the namespace, so a namespaced gate gets its values', async () => {
      // A value the gate refuses: proof that the section reached /robot7/safety_gate (it fails to start).
      const dir = mkdtempSync(join(tmpdir(), 'kizuna-launch-ns-'));
      const params = join(dir, 'bad.yaml');
      const care = readFileSync(join(root, 'launch', 'params', 'care.yaml'), 'utf8');
      writeFileSync(params, care.replace('control_rate_hz: 20.0', 'control_rate_hz: -5.0'));
      const run = runLaunch(PY_FILE, [
        'robot_id:=r1',
        'profile:=care',
        'graph:=inprocess',
        'lifecycle:=false',
        'with_cloud_bridge:=false',
        'namespace:=robot7',
        `params_file:=${params}`,
      ]);
      try {
        await run.waitFor(/\[safety_gate-\d+\][^\n]*KZ_ERR_PARAM_INVALID[^\n]*control_rate_hz/);
        const code = await run.exited;
        expect(code).not.toBeNull();
        expect(run.out()).toMatch(/safety_gate exited; shutting the robot stack down/);
      } finally {
        if (run.child.exitCode === null) run.child.kill('SIGKILL');
      }
    }, 60000);

    const rosReason = rosUnavailableReason();
    (rosReason && process.env.CI !== 'true' ? it.skip : it)(
      `starts the nodes managed on the rclnodejs graph, as by default, and lifecycle_manager brings them up (real ROS 2)${rosReason ? `: skipped, ${rosReason}` : ''}`,
      async () => {
        if (rosReason) throw new Error(`cannot run in CI: ${rosReason}; run \`npm run ros:setup\``);
        const run = runLaunch(PY_FILE, ['robot_id:=r1', 'profile:=care', 'with_cloud_bridge:=false']);
        try {
          for (const name of ['safety_gate', 'black_box', 'perception', 'executive', 'health']) {
            await run.waitFor(
              new RegExp(`running /${name} on the rclnodejs graph, managed \\(unconfigured until configured\\)`),
            );
          }
          await run.waitFor(/\[lifecycle_manager-\d+\][^\n]*startup: done in/, 60000);
          const gate = await run.waitFor(/\[safety_gate-\d+\]: process started with pid \[(\d+)\]/);
          process.kill(Number(gate[1]), 'SIGKILL');
          await run.exited;
          expect(run.out()).toMatch(/safety_gate exited; shutting the robot stack down/);
          expect(run.out()).toMatch(/\[executive-\d+\]: process has finished cleanly/);
        } finally {
          if (run.child.exitCode === null) run.child.kill('SIGKILL');
        }
      },
      60000,
    );

    it('kizuna.launch.py refuses a robot_id that is not one MQTT topic level, naming the argument', async () => {
      const run = runLaunch(PY_FILE, ['robot_id:=a/b', 'profile:=care', 'graph:=inprocess']);
      const code = await run.exited;
      expect(code).not.toBe(0);
      expect(run.out()).toMatch(/robot_id:='a\/b' must be one MQTT topic level/);
      expect(run.out()).not.toMatch(/process started/);
    }, 30000);
  },
  'run `npm run ros:setup` (it builds ROS 2 launch into .cache/ros), then `npm test`',
);

/**
 * `kizuna launch` end to end, from the command line: flags and their errors, --dry-run (checks and the
 * plan, nothing started), and a real start on the in-process graph against a real aedes broker — every
 * node as a supervised child process (--no-lifecycle: separate in-process nodes cannot reach each other, so
 * no manager could bring them up), and --compose, all in one process, managed as by default, brought up by
 * lifecycle_manager — stopped by SIGINT, after which the broker holds the robot's retained `offline` status
 * with reason `shutdown`.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startAedes, type AedesBroker } from '../helpers/brokers';
import { writeProfileParams } from '../helpers/profile-params';

const root = join(__dirname, '..', '..');
const cli = join(root, 'nodes', 'cli', 'kizuna.ts');
// `node --import tsx`: one process (no tsx wrapper between the test's signal and kizuna)
const nodeArgs = ['--import', 'tsx', cli];

/** Runs kizuna without blocking this process (the aedes broker lives in it and must answer meanwhile). */
function kizuna(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

let dir: string;
let broker: AedesBroker;

/** care.yaml with a test robot's cloud_bridge settings (unsigned decisions, outbox in the test dir). */
function paramsFile(name: string, gate: Record<string, unknown> = {}): string {
  return writeProfileParams(
    'care',
    join(dir, `${name}.yaml`),
    { store_path: join(dir, `${name}.sqlite`), reconnect_min_s: 0.1, mqtt_version: 4 }, // aedes speaks MQTT 3.1.1
    (doc) => Object.assign(doc.safety_gate?.ros__parameters ?? {}, gate),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kizuna-launch-'));
  broker = await startAedes();
});
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('kizuna launch: command line', () => {
  it('prints its help with exit 0', async () => {
    const r = await kizuna(['launch', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/usage: kizuna launch --profile <profile> --robot-id <id>/);
    expect(r.stdout).toMatch(/--compose +run every node in this one process/);
    expect(r.stdout).toMatch(/--dry-run +check and print the plan; start nothing/);
    expect(r.stdout).toMatch(/--no-lifecycle +start every node active, without lifecycle_manager/);
    expect(r.stdout).toMatch(/By default every node starts as a managed \(lifecycle\) node/);
  });

  it('exits 2 naming the flag and the fix for a wrong command line', async () => {
    const missing = await kizuna(['launch', '--profile', 'care']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(
      /KZ_ERR_CLI_USAGE: launch needs --robot-id: this robot's id, e.g. --robot-id care-017/,
    );
    const boat = await kizuna(['launch', '--profile', 'boat', '--robot-id', 'r1']);
    expect(boat.status).toBe(2);
    expect(boat.stderr).toMatch(/--profile must be one of care, factory, delivery, farm, construction, got 'boat'/);
    const slash = await kizuna(['launch', '--profile', 'care', '--robot-id', 'a/b']);
    expect(slash.status).toBe(2);
    expect(slash.stderr).toMatch(/--robot-id 'a\/b' is not one MQTT topic level/);
    const url = await kizuna(['launch', '--profile', 'care', '--robot-id', 'r1', '--broker', 'http://x']);
    expect(url.stderr).toMatch(/--broker must be an mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\/ URL, got 'http:\/\/x'/);
    expect((await kizuna(['launch', '--profile', 'care', '--robot-id', 'r1', '--fast'])).stderr).toMatch(
      /unknown launch option '--fast'/,
    );
    const both = await kizuna(['launch', '--profile', 'care', '--robot-id', 'r1', '--managed', '--no-lifecycle']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--managed and --no-lifecycle contradict each other/);
    // managed (the default) in separate in-process processes could never be brought up: refused with the fixes
    const apart = await kizuna(['launch', '--profile', 'care', '--robot-id', 'r1', '--graph', 'inprocess']);
    expect(apart.status).toBe(2);
    expect(apart.stderr).toMatch(/add --compose \(all in one process\) or --no-lifecycle \(every node starts active\)/);
  });
});

describe('kizuna launch --dry-run', () => {
  it('checks everything and prints the plan: six processes (--no-lifecycle), the gate critical, nothing started', async () => {
    const params = paramsFile('dry-ok');
    const r = await kizuna([
      'launch',
      '--profile',
      'care',
      '--robot-id',
      'care-017',
      '--params',
      params,
      '--broker',
      broker.url,
      '--graph',
      'inprocess',
      '--no-lifecycle',
      '--dry-run',
    ]);
    expect(`${r.status} ${r.stderr}`).toBe('0 ');
    const out = r.stdout;
    expect(out).toMatch(
      /robot care-017 \(fleet default, profile care\) on the inprocess graph, one process per node, unmanaged \(--no-lifecycle\): every node starts active/,
    );
    expect(out).not.toMatch(/lifecycle_manager|--managed/);
    for (const node of ['safety_gate', 'black_box', 'perception', 'executive', 'health', 'cloud_bridge']) {
      expect(out).toMatch(new RegExp(`pass  ${node} parameters +valid`));
      expect(out).toMatch(new RegExp(`kizuna\\.ts run ${node} --graph inprocess --ros-args --params-file ${params}`));
    }
    expect(out).toMatch(/safety_gate +critical: its exit stops the stack/);
    expect(out).toMatch(/perception +restarts after 1 s \(doubling to 30 s\), at most 5 times in 60 s/);
    expect(out).toMatch(/-p profile:=care -p robot_id:='care-017' -p fleet:='default' -p broker_url:='mqtt:/);
    // black_box's recording policy is the robot's profile
    expect(out).toMatch(
      /kizuna\.ts run black_box --graph inprocess --ros-args --params-file \S+ --log-level info -p profile:=care\n/,
    );
    expect(out).toMatch(
      new RegExp(`pass  broker +${broker.url.replace(/[/.]/g, '\\$&')}: connected|WARN  broker .*connected`),
    );
    expect(out).toMatch(/WARN {2}allow_unsigned/);
    expect(out).toMatch(/ready to start \(--dry-run: nothing started\)/);
  });

  it('refuses a parameter the node would refuse, naming node, key and value (exit 1)', async () => {
    const params = paramsFile('dry-bad', { control_rate_hz: -5.0 });
    const r = await kizuna([
      'launch',
      '--profile',
      'care',
      '--robot-id',
      'r1',
      '--params',
      params,
      '--graph',
      'inprocess',
      '--compose',
      '--dry-run',
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}safety_gate parameters .*'control_rate_hz'.*\(got -5\)/);
    expect(r.stdout).toMatch(/fix: fix the 'safety_gate:' section of/);
    expect(r.stdout).toMatch(/would not start: 1 check\(s\) failed/);
  });

  it('on the rclnodejs graph without ROS 2 sourced, fails the ROS checks with the fix', async () => {
    const env = { ...process.env };
    delete env.ROS_DISTRO;
    const params = paramsFile('dry-ros');
    const r = await kizuna(
      ['launch', '--profile', 'care', '--robot-id', 'r1', '--params', params, '--broker', broker.url, '--dry-run'],
      env,
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}ROS 2 environment +ROS_DISTRO is not set/);
    expect(r.stdout).toMatch(/fix: source \/opt\/ros\/jazzy\/setup.bash/);
    // the plan all the same, managed as by default: each node with --managed, then lifecycle_manager
    expect(r.stdout).toMatch(
      /on the rclnodejs graph, one process per node, managed: lifecycle_manager configures, then activates them in order/,
    );
    for (const node of ['safety_gate', 'black_box', 'perception', 'executive', 'health', 'cloud_bridge']) {
      expect(r.stdout).toMatch(new RegExp(`kizuna\\.ts run ${node} --graph rclnodejs --managed --ros-args`));
    }
    expect(r.stdout).toMatch(
      /lifecycle_manager +restarts after 1 s[^\n]*\n +\S+ \S+ \S+ \S+kizuna\.ts run lifecycle_manager --graph rclnodejs --ros-args .* -p node_names:=\[safety_gate,black_box,perception,executive,health,cloud_bridge\]/,
    );
  });

  it('without --dry-run, a failed check starts nothing and exits 1 with KZ_ERR_LAUNCH_CHECK_FAILED', async () => {
    const params = paramsFile('run-bad', { control_rate_hz: -5.0 });
    const r = await kizuna([
      'launch',
      '--profile',
      'care',
      '--robot-id',
      'r1',
      '--params',
      params,
      '--graph',
      'inprocess',
      '--no-lifecycle',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/KZ_ERR_LAUNCH_CHECK_FAILED: not started: safety_gate parameters failed/);
    expect(r.stderr).not.toMatch(/started \(pid/);
  });
});

/** Starts kizuna launch, waits until cloud_bridge's status is online, sends SIGINT, returns the result. */
async function launchAndInterrupt(robotId: string, extra: string[], ready: (stderr: string) => boolean) {
  const params = paramsFile(robotId);
  const statusTopic = `kizuna/v1/default/${robotId}/status`;
  const statuses: Array<{ status: string; reason?: string }> = [];
  broker.onPublish((topic, payload) => {
    if (topic === statusTopic) statuses.push(JSON.parse(payload.toString()) as { status: string; reason?: string });
  });
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      'launch',
      '--profile',
      'care',
      '--robot-id',
      robotId,
      '--params',
      params,
      '--broker',
      broker.url,
      '--graph',
      'inprocess',
      ...extra,
    ],
    { cwd: root },
  );
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let code: number | null;
  try {
    const deadline = Date.now() + 40000;
    while (!statuses.some((s) => s.status === 'online') || !ready(stderr)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`not ready (online status, every node running):\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const c = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 30000))),
    ]);
    clearTimeout(timer);
    if (c === 'timeout') throw new Error(`kizuna launch did not stop within 30 s of SIGINT:\n${stderr}`);
    code = c;
  } finally {
    // never leave the launcher (and through its process group, nothing else) behind
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  // the retained status a newcomer gets now
  const probe = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  const retained = await new Promise<{ status: string; reason?: string }>((resolve) => {
    probe.on('message', (_t, p) => resolve(JSON.parse(p.toString()) as { status: string; reason?: string }));
    void probe.subscribeAsync(statusTopic, { qos: 1 });
  });
  await probe.endAsync();
  return { code, stderr, stdout, statuses, retained };
}

describe('kizuna launch, running (in-process graph, aedes broker)', () => {
  it('supervises one process per node (--no-lifecycle); Ctrl-C stops them cleanly and the robot is offline (shutdown)', async () => {
    const nodes = ['safety_gate', 'black_box', 'perception', 'executive', 'health', 'cloud_bridge'];
    const r = await launchAndInterrupt('launch-sup', ['--no-lifecycle'], (err) =>
      nodes.every((n) => err.includes(`running /${n} on the inprocess graph`)),
    );
    expect(`${r.code}\n${r.stderr.slice(-1500)}`).toMatch(/^0\n/);
    for (const node of nodes) {
      expect(r.stderr).toMatch(new RegExp(`kizuna launch: ${node} started \\(pid \\d+\\)`));
      // each node's own lines, prefixed with its name
      expect(r.stderr).toMatch(new RegExp(`\\[${node} *\\] .*running /${node} on the inprocess graph`));
    }
    expect(r.stderr).toMatch(/kizuna launch: stopping: SIGINT received/);
    expect(r.stderr).not.toMatch(/did not stop within/);
    expect(r.retained).toMatchObject({ status: 'offline', reason: 'shutdown' });
  }, 60000);

  it('--compose runs every node in one process, managed: lifecycle_manager brings them up; Ctrl-C sends the offline status too', async () => {
    const r = await launchAndInterrupt('launch-compose', ['--compose'], (err) => err.includes('startup: done in'));
    expect(`${r.code}\n${r.stderr.slice(-1500)}`).toMatch(/^0\n/);
    // the six and their manager
    expect(r.stderr).toMatch(/kizuna launch: 7 nodes in one process on the inprocess graph/);
    expect(r.stderr).toMatch(/kizuna launch: \/lifecycle_manager running \(composed\)/);
    for (const node of ['safety_gate', 'black_box', 'perception', 'executive', 'health', 'cloud_bridge']) {
      expect(r.stderr).toMatch(new RegExp(`lifecycle activate: inactive -> active","node":"/${node}"`));
    }
    expect(r.stderr).not.toMatch(/started \(pid/);
    expect(r.retained).toMatchObject({ status: 'offline', reason: 'shutdown' });
  }, 60000);
});

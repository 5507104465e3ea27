/**
 * Every simulated robot runs black_box: a real run of the obstacle-stop scenario leaves, for each robot
 * the safety gate stopped, an MCAP file whose messages show the stop (read back from disk, decoded from
 * the file's own ros2msg schemas), and the report lists the incidents with their files.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { FileHandleReadable } from '@mcap/nodejs';
import { mcapCore, mcapSupport } from '../../nodes/core/mcap/esm';
import { loadScenario } from '../../sim/scenario';
import { adjustScenario } from '../../sim/fleet/scale';
import { runSim, type SimRunResult } from '../../sim/fleet/run';
import { findIncidentFile, readIncident } from '../../nodes/black_box/store';

const root = join(__dirname, '..', '..');
// Python's MCAP readers (scripts/mcap-readers/setup.sh, run by .ci/run; a no-op when up to date)
const setup = spawnSync('bash', [join(root, 'scripts', 'mcap-readers', 'setup.sh')], {
  encoding: 'utf8',
  timeout: 300_000,
});
const python = setup.status === 0 ? setup.stdout.trim().split('\n').at(-1)! : undefined;
const pythonIt = python || process.env.CI === 'true' || setup.status !== 3 ? it : it.skip;
const dir = mkdtempSync(join(tmpdir(), 'kizuna-sim-bb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Msg = { topic: string; t: number; msg: Record<string, unknown> };

async function readAll(path: string): Promise<Msg[]> {
  const handle = await open(path, 'r');
  try {
    const reader = await mcapCore.McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: await mcapSupport.loadDecompressHandlers(),
    });
    const out: Msg[] = [];
    for await (const m of reader.readMessages()) {
      const ch = reader.channelsById.get(m.channelId)!;
      const sc = reader.schemasById.get(ch.schemaId)!;
      const r = new MessageReader(parse(new TextDecoder().decode(sc.data), { ros2: true }));
      out.push({ topic: ch.topic, t: Number(m.logTime) / 1e9, msg: r.readMessage(m.data) });
    }
    return out;
  } finally {
    await handle.close();
  }
}

describe('black_box in the sim (obstacle-stop, a real run)', () => {
  let result: SimRunResult;
  beforeAll(async () => {
    const scenario = adjustScenario(
      loadScenario(join(root, 'sim', 'scenarios', 'obstacle-stop.yaml')),
      { durationS: 14 },
      'obstacle-stop',
    );
    result = await runSim({ scenario, source: 'obstacle-stop', speed: 0, drainTimeoutS: 2, blackBoxDir: dir });
  }, 120_000);

  it('leaves a black-box MCAP per stopping robot whose messages show the stop', async () => {
    const stopped = [...new Set(result.report.stops.map((s) => s.robotId))];
    expect(stopped).toEqual(['delivery1']);
    for (const robot of stopped) {
      const stop = result.report.stops.find((s) => s.robotId === robot)!;
      const inc = result.report.incidents.find((i) => i.robotId === robot && i.kind === 'protective_stop')!;
      expect(inc.outcome).toBe('started');
      expect(Math.abs(inc.t - stop.t)).toBeLessThan(0.2);
      expect(inc.file).toBe(join(dir, robot, '000001-protective_stop.mcap'));
      expect(existsSync(inc.file!)).toBe(true);
      const messages = await readAll(inc.file!);
      const ns = `/${robot}`;
      // the gate's STOP, with its reason, at the incident's time
      const states = messages.filter((m) => m.topic === `${ns}/kizuna/safety_state`);
      const first = states.find((m) => m.msg.state === 4)!;
      expect(first.msg.detail).toBe(inc.detail);
      expect(Math.abs(first.t - inc.t)).toBeLessThan(0.01);
      expect(states.some((m) => m.t < inc.t && m.msg.state !== 4 && m.msg.state !== 5)).toBe(true);
      // driving before it, standing after: odometry and the gate's output
      const speed = (m: Msg): number => (m.msg.twist as { twist: { linear: { x: number } } }).twist.linear.x;
      const odom = messages.filter((m) => m.topic === `${ns}/odom`);
      expect(odom.filter((m) => m.t < inc.t - 0.5 && m.t > inc.t - 3).some((m) => speed(m) > 0.2)).toBe(true);
      expect(odom.filter((m) => m.t > inc.t + 1).every((m) => Math.abs(speed(m)) < 0.02)).toBe(true);
      // the gate's output is zero from the stop on (it may let the robot creep again later, each a new STOP)
      const out = messages.find((m) => m.topic === `${ns}/cmd_vel` && m.t >= first.t)!;
      expect((out.msg.linear as { x: number }).x).toBeLessThanOrEqual(0.001);
      // the window: pre_s before and post_s after the stop (the defaults, 20 s and 5 s, within the run)
      expect(messages[0]!.t).toBeLessThan(1);
      expect(messages[messages.length - 1]!.t).toBeLessThanOrEqual(inc.t + 5 + 1e-6);
      // scans thinned (scan_period_s 0.5 s), and what the robot was told to do
      const scans = messages.filter((m) => m.topic === `${ns}/scan`);
      expect(scans.length).toBeGreaterThan(10);
      expect(messages.some((m) => m.topic === `${ns}/kizuna/decision`)).toBe(true);
      const summary = await readIncident(findIncidentFile(join(dir, robot), '1')!);
      expect(summary.metadata).toEqual(expect.objectContaining({ profile: 'delivery', namespace: ns }));
    }
  });

  pythonIt("opens as a rosbag2 for rosbags, and Python's readers decode every message as kizuna does", async () => {
    if (!python) throw new Error(`scripts/mcap-readers/setup.sh exited ${setup.status}: ${setup.stderr}`);
    const file = result.report.incidents.find((i) => i.kind === 'protective_stop')!.file!;
    const r = spawnSync(python, [join(root, 'test', 'python', 'read_mcap.py'), file], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const done = JSON.parse(lines.pop()!) as {
      done: number;
      opened_by_rosbags_reader: unknown;
      bag_messages: number;
      bag_connections: Array<{ topic: string; messages: number }>;
      bag_mismatch_count: number;
    };
    const ours = await readAll(file);
    expect({
      done: done.done,
      opened: done.opened_by_rosbags_reader,
      bagMessages: done.bag_messages,
      mismatches: done.bag_mismatch_count,
    }).toEqual({ done: ours.length, opened: true, bagMessages: ours.length, mismatches: 0 });
    // rosbags' bag reader decoded every connection of the file
    expect(done.bag_connections.filter((c) => c.messages === 0)).toEqual([]);
    expect(done.bag_connections.length).toBe(new Set(ours.map((m) => m.topic)).size);
    const py = lines.map((l) => JSON.parse(l) as { topic: string; mcap_ros2: unknown; rosbags: unknown });
    // as the Python side writes a message: plain arrays, -0 kept (CDR carries it)
    const plain = (x: unknown): unknown =>
      typeof x === 'bigint'
        ? Number(x)
        : ArrayBuffer.isView(x)
          ? Array.from(x as unknown as ArrayLike<number>)
          : Array.isArray(x)
            ? x.map(plain)
            : x !== null && typeof x === 'object'
              ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]))
              : x;
    const byTopic = <T extends { topic: string }>(xs: readonly T[], topic: string): T[] =>
      xs.filter((m) => m.topic === topic);
    for (const topic of new Set(ours.map((m) => m.topic))) {
      const mine = byTopic(ours, topic).map((m) => plain(m.msg));
      const theirs = byTopic(py, topic);
      expect(theirs.map((m) => m.mcap_ros2)).toEqual(mine);
      expect(theirs.map((m) => m.rosbags)).toEqual(mine);
    }
  });

  it('reports no black-box incident before the robot drives (the latched start, inputs coming up)', () => {
    expect(result.report.incidents.every((i) => i.t > 5)).toBe(true);
    expect(result.report.perRobot[0]!.blackBox.files.map((f) => f.id)).toEqual(['000001-protective_stop']);
  });
});

/**
 * `kizuna sim --mcap` read by readers nobody at kizuna wrote: a real run of the default scenario (fleet)
 * is recorded, then test/python/read_mcap.py reads the file with Python's `mcap` and decodes every ROS 2
 * message with mcap-ros2-support and with rosbags (its type system built from the file's own schema
 * text); where ROS 2 is set up (jest inside scripts/ros-sandbox.sh), with rclpy's deserialize_message
 * too. Every message is compared field by field with the message as kizuna's own reader decodes it. And
 * rosbags' own bag reader (AnyReader) opens the file as a rosbag2 and decodes every connection.
 *
 * The readers' venv comes from scripts/mcap-readers/setup.sh (`npm run mcap-readers:setup`, run by
 * .ci/run); this test runs it too (a no-op when up to date). Under CI=true any failure to set it up fails
 * the test; elsewhere the suite skips only when no Python venv can be made at all.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { FileHandleReadable } from '@mcap/nodejs';
import { mcapCore, mcapSupport } from '../../nodes/core/mcap/esm';
import { loadScenario } from '../../sim/scenario';
import { adjustScenario } from '../../sim/fleet/scale';
import { runSim } from '../../sim/fleet/run';

const root = join(__dirname, '..', '..');
const CI = process.env.CI === 'true';
const script = join(root, 'test', 'python', 'read_mcap.py');
const dir = mkdtempSync(join(tmpdir(), 'kizuna-mcap-py-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const setup = spawnSync('bash', [join(root, 'scripts', 'mcap-readers', 'setup.sh')], {
  encoding: 'utf8',
  timeout: 300_000,
});
const python = setup.status === 0 ? setup.stdout.trim().split('\n').at(-1)! : undefined;
const skipAll = setup.status !== 0 && !CI && setup.status === 3;
if (skipAll) console.warn(`MCAP reader tests skipped: no Python venv can be made here: ${setup.stderr.trim()}`);
const suite = skipAll ? describe.skip : describe;
const rosHere = !!process.env.ROS_DISTRO && !!process.env.KIZUNA_ROS_SANDBOX;

/** A decoded value as the Python side writes it: plain arrays, numbers JSON cannot hold as strings. */
function plain(x: unknown): unknown {
  if (typeof x === 'bigint') return x >= -(2n ** 53n) && x <= 2n ** 53n ? Number(x) : String(x);
  if (typeof x === 'number') return Number.isFinite(x) ? x : Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number | bigint>, plain);
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === 'object')
    return Object.fromEntries(Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, plain(v)]));
  return x;
}

interface PyLine {
  i: number;
  topic: string;
  schema: string;
  t: string;
  mcap_ros2?: unknown;
  rosbags?: unknown;
  rclpy?: unknown;
  rclpy_missing?: string;
  json?: unknown;
}

function readPython(py: string, file: string, extra: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(py, [script, file, ...extra], { encoding: 'utf8', maxBuffer: 1 << 30, env });
  if (r.status !== 0) throw new Error(`read_mcap.py exited ${r.status}: ${r.stderr.slice(-3000)}`);
  const lines = r.stdout.trim().split('\n');
  const done = JSON.parse(lines.pop()!) as {
    done: number;
    opened_by_rosbags_reader: true | string;
    bag_messages: number;
    bag_connections: Array<{ topic: string; msgtype: string; messages: number }>;
    bag_mismatches: unknown[];
    bag_mismatch_count: number;
  };
  return { messages: lines.map((l) => JSON.parse(l) as PyLine), done };
}

suite('kizuna sim --mcap read by Python readers (mcap, mcap-ros2-support, rosbags, rclpy)', () => {
  const file = join(dir, 'fleet.mcap');
  const ours: Array<{ topic: string; schema: string; t: string; msg: unknown }> = [];
  let py: ReturnType<typeof readPython>;

  beforeAll(async () => {
    if (!python) throw new Error(`scripts/mcap-readers/setup.sh exited ${setup.status}: ${setup.stderr}`);
    const scenario = adjustScenario(
      loadScenario(join(root, 'sim', 'scenarios', 'fleet.yaml')),
      { durationS: 5 },
      'fleet',
    );
    await runSim({ scenario, source: 'fleet', speed: 0, mcapFile: file, drainTimeoutS: 2 });
    const handle = await open(file, 'r');
    try {
      const reader = await mcapCore.McapIndexedReader.Initialize({
        readable: new FileHandleReadable(handle),
        decompressHandlers: await mcapSupport.loadDecompressHandlers(),
      });
      const readers = new Map<number, MessageReader>();
      for await (const m of reader.readMessages()) {
        const ch = reader.channelsById.get(m.channelId)!;
        const sc = reader.schemasById.get(ch.schemaId)!;
        let msg: unknown;
        if (sc.encoding === 'ros2msg') {
          let r = readers.get(sc.id);
          if (!r) readers.set(sc.id, (r = new MessageReader(parse(new TextDecoder().decode(sc.data), { ros2: true }))));
          msg = r.readMessage(m.data);
        } else msg = JSON.parse(new TextDecoder().decode(m.data));
        ours.push({ topic: ch.topic, schema: sc.name, t: String(m.logTime), msg: plain(msg) });
      }
    } finally {
      await handle.close();
    }
    py = readPython(python, file, []);
  }, 240_000);

  it('reads every message of the file, in the same order', () => {
    expect(ours.length).toBeGreaterThan(1000);
    expect(py.done.done).toBe(ours.length);
    expect(py.messages.map((m) => `${m.t} ${m.topic}`).sort()).toEqual(ours.map((m) => `${m.t} ${m.topic}`).sort());
  });

  it('decodes every ROS 2 message with mcap-ros2-support and with rosbags, field by field as kizuna reads it', () => {
    // Python's reader orders messages of one log time by its own rule: match them by time, topic and position.
    const key = (m: { t: string; topic: string }, k: number): string => `${m.t} ${m.topic} ${k}`;
    const index = (xs: ReadonlyArray<{ t: string; topic: string }>): Map<string, number> => {
      const seen = new Map<string, number>();
      const out = new Map<string, number>();
      xs.forEach((m, i) => {
        const k = seen.get(`${m.t} ${m.topic}`) ?? 0;
        seen.set(`${m.t} ${m.topic}`, k + 1);
        out.set(key(m, k), i);
      });
      return out;
    };
    const mine = index(ours);
    const types = new Set<string>();
    let compared = 0;
    for (const [k, i] of index(py.messages)) {
      const p = py.messages[i]!;
      const o = ours[mine.get(k)!]!;
      expect(p.schema).toBe(o.schema);
      if (p.json !== undefined) {
        expect(p.json).toEqual(o.msg);
        continue;
      }
      types.add(p.schema);
      expect({ topic: p.topic, mcap_ros2: p.mcap_ros2 }).toEqual({ topic: o.topic, mcap_ros2: o.msg });
      expect({ topic: p.topic, rosbags: p.rosbags }).toEqual({ topic: o.topic, rosbags: o.msg });
      compared++;
    }
    // every ROS 2 type written was decoded
    expect([...types].sort()).toEqual(
      [...new Set(ours.filter((m) => !('json' in m) && m.schema.includes('/msg/')).map((m) => m.schema))].sort(),
    );
    expect(types).toEqual(expect.objectContaining({ size: expect.any(Number) }));
    expect(types.has('sensor_msgs/msg/LaserScan') && types.has('kizuna_msgs/msg/SafetyState')).toBe(true);
    // the scene and the log too: foxglove_msgs in CDR, decoded by both Python readers
    expect(types.has('foxglove_msgs/msg/SceneUpdate') && types.has('foxglove_msgs/msg/Log')).toBe(true);
    expect(compared).toBeGreaterThan(1000);
  });

  it("opens with rosbags' own bag reader as a rosbag2, which decodes every connection as rosbags' typestore does", () => {
    // rosbags' Reader takes a `ros2` profile whose schemas are all ros2msg / ros2idl and messages all CDR: the
    // scene, zones and log are written as foxglove_msgs ROS 2 messages for it (nodes/core/mcap/foxglove.ts)
    expect(py.done.opened_by_rosbags_reader).toBe(true);
    expect(py.done.bag_messages).toBe(ours.length);
    const topics = new Set(ours.map((m) => m.topic));
    expect(py.done.bag_connections.map((c) => c.topic).sort()).toEqual([...topics].sort());
    for (const c of py.done.bag_connections)
      expect({ topic: c.topic, decoded: c.messages > 0 }).toEqual({ topic: c.topic, decoded: true });
    const types = new Set(py.done.bag_connections.map((c) => c.msgtype));
    for (const t of ['foxglove_msgs/msg/SceneUpdate', 'foxglove_msgs/msg/Log', 'sensor_msgs/msg/LaserScan'])
      expect(types.has(t)).toBe(true);
    // the bag reader's decode of each message is the typestore's (compared field by field with kizuna's above)
    expect({ mismatches: py.done.bag_mismatch_count, first: py.done.bag_mismatches }).toEqual({
      mismatches: 0,
      first: [],
    });
  });

  (rosHere ? it : it.skip)("decodes every ROS 2 message ROS 2 has the type of with rclpy's deserialize_message", () => {
    const site = readdirSync(join(root, '.cache', 'mcap-readers', 'venv', 'lib')).map((v) =>
      join(root, '.cache', 'mcap-readers', 'venv', 'lib', v, 'site-packages'),
    );
    // ROS 2's own python (first on PATH in the sandbox), with the readers' packages after its own
    const env = { ...process.env, PYTHONPATH: [process.env.PYTHONPATH, ...site].filter(Boolean).join(':') };
    const r = readPython('python3', file, ['--rclpy'], env);
    const missing = new Set(r.messages.filter((m) => m.rclpy_missing).map((m) => m.schema));
    // tf2_msgs and foxglove_msgs are not part of the ROS 2 set-up here (.cache/ros)
    expect([...missing].every((s) => s === 'tf2_msgs/msg/TFMessage' || s.startsWith('foxglove_msgs/msg/'))).toBe(true);
    let compared = 0;
    for (const m of r.messages) {
      if (m.rclpy === undefined) continue;
      expect({ topic: m.topic, rclpy: m.rclpy }).toEqual({ topic: m.topic, rclpy: m.mcap_ros2 });
      compared++;
    }
    expect(compared).toBeGreaterThan(1000);
  });
});

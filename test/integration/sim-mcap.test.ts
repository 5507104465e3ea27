/**
 * `kizuna sim --mcap`: a short run through the real nodes is recorded into an MCAP file on disk, which
 * is then read back with @mcap/core's indexed reader (decompressing with @mcap/support), its ROS 2
 * messages decoded from their own `ros2msg` schemas with @foxglove/rosmsg + rosmsg2-serialization: the
 * robots' topics and the scene and log lines, written as foxglove_msgs ROS 2 messages (every channel CDR).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CdrReader, EncapsulationKind } from '@foxglove/cdr';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { FileHandleReadable } from '@mcap/nodejs';
import { mcapCore, mcapSupport } from '../../nodes/core/mcap/esm';
import { KizunaError } from '../../nodes/core/errors';
import { loadScenario } from '../../sim/scenario';
import { adjustScenario } from '../../sim/fleet/scale';
import { runSim } from '../../sim/fleet/run';

/** [s] long enough for the robot to reach the shelf and be stopped (it starts latched, then drives at 0.64 m/s). */
const DURATION_S = 14;

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'kizuna-mcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Read {
  topic: string;
  schemaName: string;
  schemaEncoding: string;
  messageEncoding: string;
  logTime: bigint;
  data: Uint8Array;
  schema: string;
}

describe('kizuna sim --mcap (a real run, read back from disk)', () => {
  const file = join(dir, 'obstacle-stop.mcap');
  const robot = 'delivery1';
  const messages: Read[] = [];
  const meta: Array<Map<string, string>> = [];
  let reader: Awaited<ReturnType<typeof mcapCore.McapIndexedReader.Initialize>>;

  beforeAll(async () => {
    const loaded = loadScenario(join(root, 'sim', 'scenarios', 'obstacle-stop.yaml'));
    expect(loaded.robots.map((r) => r.id)).toContain(robot);
    const scenario = adjustScenario(loaded, { durationS: DURATION_S }, 'obstacle-stop');
    await runSim({ scenario, source: 'obstacle-stop', speed: 0, mcapFile: file, drainTimeoutS: 2 });
    const handle = await open(file, 'r');
    reader = await mcapCore.McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: await mcapSupport.loadDecompressHandlers(),
    });
    for await (const m of reader.readMessages()) {
      const ch = reader.channelsById.get(m.channelId)!;
      const sc = reader.schemasById.get(ch.schemaId)!;
      messages.push({
        topic: ch.topic,
        schemaName: sc.name,
        schemaEncoding: sc.encoding,
        messageEncoding: ch.messageEncoding,
        logTime: m.logTime,
        data: m.data,
        schema: new TextDecoder().decode(sc.data),
      });
    }
    for await (const m of reader.readMetadata({ name: 'kizuna' })) meta.push(m.metadata);
    await handle.close();
  }, 120_000);

  it('is a complete, indexed, zstd-chunked ros2 file with a kizuna metadata record', () => {
    expect(existsSync(`${file}.partial`)).toBe(false);
    expect(reader.header.profile).toBe('ros2');
    expect(reader.chunkIndexes.length).toBeGreaterThan(0);
    expect(reader.chunkIndexes.every((c) => c.compression === 'zstd')).toBe(true);
    expect(reader.statistics).toBeDefined();
    expect(Number(reader.statistics!.messageCount)).toBe(messages.length);
    expect(meta).toHaveLength(1);
    expect(meta[0]!.get('scenario')).toBe('obstacle-stop');
    expect(meta[0]!.get('seed')).toMatch(/^\d+$/);
    expect(meta[0]!.get('kizuna_version')).toBeTruthy();
  });

  it("has the robot's ROS 2 topics under its ROS names, the site's topics, and messages on each", () => {
    const count = new Map<string, number>();
    for (const m of messages) count.set(m.topic, (count.get(m.topic) ?? 0) + 1);
    for (const t of [
      '/clock',
      '/tf',
      '/kizuna/scene',
      '/kizuna/log',
      `/${robot}/scan`,
      `/${robot}/odom`,
      `/${robot}/cmd_vel`,
      `/${robot}/cmd_vel_nav`,
      `/${robot}/kizuna/safety_state`,
      `/${robot}/kizuna/world_summary`,
      `/${robot}/kizuna/decision`,
      `/${robot}/kizuna/decision_status`,
      `/${robot}/pose`,
      `/${robot}/path`,
      `/${robot}/safety_zones`,
    ]) {
      expect({ topic: t, messages: (count.get(t) ?? 0) > 0 }).toEqual({ topic: t, messages: true });
    }
    const scan = messages.find((m) => m.topic === `/${robot}/scan`)!;
    expect([scan.schemaName, scan.schemaEncoding, scan.messageEncoding]).toEqual([
      'sensor_msgs/msg/LaserScan',
      'ros2msg',
      'cdr',
    ]);
    const log = messages.find((m) => m.topic === '/kizuna/log')!;
    expect([log.schemaName, log.schemaEncoding, log.messageEncoding]).toEqual([
      'foxglove_msgs/msg/Log',
      'ros2msg',
      'cdr',
    ]);
    const scene = messages.find((m) => m.topic === '/kizuna/scene')!;
    expect([scene.schemaName, scene.schemaEncoding]).toEqual(['foxglove_msgs/msg/SceneUpdate', 'ros2msg']);
    // a rosbag2: every channel is ros2msg + CDR (rosbags' bag reader refuses a file with any other)
    expect([...new Set(messages.map((m) => `${m.schemaEncoding}/${m.messageEncoding}`))]).toEqual(['ros2msg/cdr']);
  });

  it('reads back in time order, and the times are the sim times of the run', () => {
    for (let i = 1; i < messages.length; i++) expect(messages[i]!.logTime >= messages[i - 1]!.logTime).toBe(true);
    const last = Number(messages[messages.length - 1]!.logTime) / 1e9;
    expect(last).toBeGreaterThan(DURATION_S - 1);
    expect(last).toBeLessThanOrEqual(DURATION_S + 1e-6);
  });

  it('decodes the ROS 2 messages from their own schemas: scans, safety state, decisions, transforms', () => {
    const decode = (m: Read): Record<string, unknown> => {
      // Little-endian plain CDR, as rosbag2 stores it.
      expect(new CdrReader(m.data).kind).toBe(EncapsulationKind.CDR_LE);
      return new MessageReader(parse(m.schema, { ros2: true })).readMessage(m.data);
    };
    const scan = decode(messages.find((m) => m.topic === `/${robot}/scan`)!) as {
      header: { frame_id: string };
      ranges: Float32Array;
      range_max: number;
    };
    expect(scan.header.frame_id).toBe(`${robot}/laser`);
    expect(scan.ranges.length).toBeGreaterThan(10);
    expect(scan.range_max).toBeGreaterThan(0);
    const states = messages.filter((m) => m.topic === `/${robot}/kizuna/safety_state`).map(decode);
    expect(states[0]).toEqual(
      expect.objectContaining({
        state: expect.any(Number),
        linear_speed_cap: expect.any(Number),
        detail: expect.any(String),
      }),
    );
    // The robot drives at the shelf and its gate stops it: a STOP (4) is recorded.
    expect(states.some((s) => s.state === 4)).toBe(true);
    const decision = decode(messages.find((m) => m.topic === `/${robot}/kizuna/decision`)!);
    expect(decision).toEqual(expect.objectContaining({ decision_id: expect.any(String), kind: expect.any(Number) }));
    const tf = decode(messages.find((m) => m.topic === '/tf')!) as {
      transforms: Array<{ header: { frame_id: string }; child_frame_id: string }>;
    };
    expect(tf.transforms.map((x) => `${x.header.frame_id}>${x.child_frame_id}`)).toEqual(
      expect.arrayContaining([
        `map>${robot}/odom`,
        `${robot}/odom>${robot}/base_link`,
        `${robot}/base_link>${robot}/laser`,
      ]),
    );
  });

  it('decodes the scene and the log lines as foxglove_msgs/msg/SceneUpdate and foxglove_msgs/msg/Log, from their own schemas', () => {
    const json = (m: Read): Record<string, unknown> =>
      new MessageReader(parse(m.schema, { ros2: true })).readMessage(m.data);
    const scenes = messages.filter((m) => m.topic === '/kizuna/scene').map(json);
    const site = scenes
      .flatMap((s) => s.entities as Array<{ id: string; lines: unknown[]; frame_id: string }>)
      .find((e) => e.id === 'site')!;
    expect(site.frame_id).toBe('map');
    expect(site.lines.length).toBeGreaterThan(0);
    const logs = messages.filter((m) => m.topic === '/kizuna/log').map(json);
    expect(logs[0]).toEqual(
      expect.objectContaining({
        timestamp: expect.objectContaining({ sec: expect.any(Number) }),
        level: expect.any(Number),
      }),
    );
    expect(logs.some((l) => l.name === robot && /^decision /.test(l.message as string))).toBe(true);
    expect(logs.some((l) => l.name === robot && /^safety stop/.test(l.message as string))).toBe(true);
  });
});

describe('kizuna sim --mcap refuses a path it cannot write', () => {
  it('fails with KZ_ERR_MCAP_WRITE before the run starts, and leaves nothing behind', async () => {
    const notADir = join(dir, 'plain-file');
    writeFileSync(notADir, 'x');
    const scenario = adjustScenario(
      loadScenario(join(root, 'sim', 'scenarios', 'obstacle-stop.yaml')),
      { durationS: 1 },
      'obstacle-stop',
    );
    const target = join(notADir, 'run.mcap');
    const t0 = Date.now();
    const err = await runSim({ scenario, source: 'obstacle-stop', speed: 0, mcapFile: target }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KizunaError);
    expect((err as KizunaError).code).toBe('KZ_ERR_MCAP_WRITE');
    expect((err as Error).message).toContain(target);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(existsSync(target)).toBe(false);
  });
});

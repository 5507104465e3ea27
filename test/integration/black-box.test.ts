/**
 * black_box on the in-process graph with a manual clock: what it records, when it writes, what the
 * file holds (read back from disk with @mcap/core and decoded from its own ros2msg schemas), the
 * operator's ~/capture, the care policy, and the folder's bounds.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { FileHandleReadable } from '@mcap/nodejs';
import { InProcessGraph } from '../../nodes/core/graph/inprocess/graph';
import { mcapCore, mcapSupport } from '../../nodes/core/mcap/esm';
import type { ParamValue } from '../../nodes/core/graph/params';
import { createMessage } from '../../nodes/core/interfaces/validate';
import type { MessageOf } from '../../nodes/core/interfaces';
import { startBlackBox } from '../../nodes/black_box/node';
import { listIncidentFiles, prune, readIncident } from '../../nodes/black_box/store';

type Safety = MessageOf<'kizuna_msgs/msg/SafetyState'>;

const dirs: string[] = [];
let graph: InProcessGraph | undefined;
afterEach(async () => {
  await graph?.shutdown();
  graph = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(params: Record<string, ParamValue> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-bb-'));
  dirs.push(dir);
  graph = new InProcessGraph({ clock: 'manual' });
  const g = graph;
  const bb = startBlackBox(
    g.createNode('black_box', {
      namespace: '/robot7',
      parameterOverrides: { profile: 'delivery', dir, pre_s: 2, post_s: 1, min_interval_s: 0, ...params },
    }),
  );
  const drv = g.createNode('driver', { namespace: '/robot7' });
  const pubs = {
    safety: drv.createPublisher('kizuna_msgs/msg/SafetyState', 'kizuna/safety_state'),
    odom: drv.createPublisher('nav_msgs/msg/Odometry', 'odom'),
    cmd: drv.createPublisher('geometry_msgs/msg/Twist', 'cmd_vel'),
    people: drv.createPublisher('geometry_msgs/msg/PoseArray', 'people'),
    bumper: drv.createPublisher('std_msgs/msg/Bool', 'bumper'),
  };
  const safety = (state: number, detail = ''): void => {
    const m = createMessage('kizuna_msgs/msg/SafetyState') as unknown as Safety;
    m.state = state;
    m.detail = detail;
    m.limiting_reason = state === 4 ? 1 : 0;
    pubs.safety.publish(m);
  };
  /** `sec` seconds of driving at `v` [m/s]: odometry and cmd_vel at 20 Hz. */
  const drive = async (sec: number, v: number): Promise<void> => {
    for (let i = 0; i < Math.round(sec / 0.05); i++) {
      const o = createMessage('nav_msgs/msg/Odometry') as unknown as MessageOf<'nav_msgs/msg/Odometry'>;
      o.twist.twist.linear.x = v;
      pubs.odom.publish(o);
      pubs.cmd.publish({ linear: { x: v, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } });
      await g.advance(0.05);
    }
  };
  return { dir, bb, drv, pubs, safety, drive, g };
}

async function readAll(path: string) {
  const handle = await open(path, 'r');
  try {
    const reader = await mcapCore.McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: await mcapSupport.loadDecompressHandlers(),
    });
    const out: Array<{ topic: string; schema: string; t: number; msg: Record<string, unknown> }> = [];
    for await (const m of reader.readMessages()) {
      const ch = reader.channelsById.get(m.channelId)!;
      const sc = reader.schemasById.get(ch.schemaId)!;
      expect(sc.encoding).toBe('ros2msg');
      expect(ch.messageEncoding).toBe('cdr');
      const msg = new MessageReader(parse(new TextDecoder().decode(sc.data), { ros2: true })).readMessage(m.data);
      out.push({ topic: ch.topic, schema: sc.name, t: Number(m.logTime) / 1e9, msg: msg as Record<string, unknown> });
    }
    return { reader, messages: out };
  } finally {
    await handle.close();
  }
}

describe('black_box', () => {
  it('writes the seconds before and after a protective stop into one MCAP file that shows the stop', async () => {
    const s = setup();
    s.safety(1);
    await s.drive(3, 0.5);
    s.safety(4, 'stop zone: 0.31 m at 0.12 rad');
    await s.drive(0.1, 0);
    expect(s.bb.incidents.map((i) => [i.kind, i.outcome])).toEqual([['protective_stop', 'started']]);
    await s.drive(1.5, 0);
    await s.bb.flush();
    const files = listIncidentFiles(s.dir);
    expect(files.map((f) => f.id)).toEqual(['000001-protective_stop']);
    expect(s.bb.written.map((w) => w.path)).toEqual([files[0]!.path]);
    const { reader, messages } = await readAll(files[0]!.path);
    expect(reader.header.profile).toBe('ros2');
    const stop = messages.find((m) => m.topic === '/robot7/kizuna/safety_state' && m.msg.state === 4)!;
    expect(stop.msg.detail).toBe('stop zone: 0.31 m at 0.12 rad');
    const odom = messages.filter((m) => m.topic === '/robot7/odom');
    // 2 s before the stop at 3 s, 1 s after; odometry thinned to one per odom_period_s (0.1 s)
    expect(odom[0]!.t).toBeGreaterThanOrEqual(0.99);
    expect(odom[odom.length - 1]!.t).toBeLessThanOrEqual(4.1 + 1e-9);
    expect(odom.length).toBeGreaterThan(25);
    expect(odom.length).toBeLessThan(35);
    const moving = messages.filter((m) => m.topic === '/robot7/cmd_vel' && m.t < 3);
    expect(moving.every((m) => (m.msg.linear as { x: number }).x === 0.5)).toBe(true);
    const log = messages.find((m) => m.topic === '/robot7/black_box/incidents')!;
    expect(log.schema).toBe('rcl_interfaces/msg/Log');
    expect(log.msg.msg).toBe('incident protective_stop: stop zone: 0.31 m at 0.12 rad');
    const summary = await readIncident(files[0]!);
    expect(summary.metadata).toEqual(
      expect.objectContaining({ trigger: 'protective_stop', profile: 'delivery', node: '/robot7/black_box' }),
    );
    expect(summary.incidents.map((i) => i.kind)).toEqual(['protective_stop']);
    expect(summary.messages).toBe(messages.length);
    expect(readdirSync(s.dir).filter((n) => n.endsWith('.partial'))).toEqual([]);
  });

  it("captures on an operator's request over ~/capture, and on a collision the bumper reports", async () => {
    const s = setup();
    await s.drive(1, 0.2);
    const client = s.drv.createClient('std_srvs/srv/Trigger', '/robot7/black_box/capture');
    const res = client.call({});
    await s.g.advance(0.01);
    expect(await res).toEqual(expect.objectContaining({ success: true }));
    await s.drive(1.2, 0.2);
    s.pubs.bumper.publish({ data: true });
    await s.drive(1.2, 0);
    await s.bb.flush();
    expect(listIncidentFiles(s.dir).map((f) => f.id)).toEqual(['000001-operator_request', '000002-collision']);
  });

  it('in the care profile keeps people as positions only and refuses to record camera images', async () => {
    const s = setup({ profile: 'care', extra_topics: ['camera/image=sensor_msgs/msg/Image'] });
    expect(
      s.g.createNode('probe').createPublisher('sensor_msgs/msg/Image', '/robot7/camera/image').subscriptionCount(),
    ).toBe(0);
    s.pubs.people.publish({
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'base_link' },
      poses: [{ position: { x: 1, y: 2, z: 0 }, orientation: { x: 0, y: 0, z: 0.6, w: 0.8 } }],
    });
    await s.drive(0.5, 0.3);
    s.pubs.bumper.publish({ data: true });
    await s.drive(1.2, 0);
    await s.bb.flush();
    const { messages } = await readAll(listIncidentFiles(s.dir)[0]!.path);
    const people = messages.find((m) => m.topic === '/robot7/people')!;
    expect(people.msg.poses).toEqual([{ position: { x: 1, y: 2, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } }]);
    expect(messages.some((m) => m.topic.includes('camera'))).toBe(false);
  });

  it('keeps the folder within max_files, deleting the oldest, and removes a torn .partial at start', async () => {
    const s = setup({ max_files: 2 });
    writeFileSync(join(s.dir, '000000-estop.mcap.partial'), 'torn');
    for (let i = 0; i < 4; i++) {
      s.pubs.bumper.publish({ data: true });
      await s.drive(1.2, 0);
      s.pubs.bumper.publish({ data: false });
      await s.drive(0.1, 0);
    }
    await s.bb.flush();
    expect(listIncidentFiles(s.dir).map((f) => f.id)).toEqual(['000003-collision', '000004-collision']);
    expect(s.bb.written).toHaveLength(4);
    expect(s.bb.written[3]!.pruned).toEqual([join(s.dir, '000002-collision.mcap')]);
    // a black box starting on the folder removes the torn file, and numbering continues
    expect(existsSync(join(s.dir, '000000-estop.mcap.partial'))).toBe(true);
    const again = startBlackBox(
      s.g.createNode('black_box_2', {
        namespace: '/robot7',
        parameterOverrides: { profile: 'delivery', dir: s.dir, max_files: 2 },
      }),
    );
    expect(existsSync(join(s.dir, '000000-estop.mcap.partial'))).toBe(false);
    const res = s.drv.createClient('std_srvs/srv/Trigger', '/robot7/black_box_2/capture').call({});
    await s.g.advance(0.01);
    expect((await res).success).toBe(true);
    await again.flush();
    expect(listIncidentFiles(s.dir).map((f) => f.id)).toEqual(['000004-collision', '000005-operator_request']);
  });
});

describe('black_box stopped while it records', () => {
  it('completes the file of the capture in progress with what was recorded', async () => {
    const s = setup({ post_s: 30 });
    await s.drive(1, 0.4);
    s.pubs.bumper.publish({ data: true });
    await s.drive(0.5, 0);
    expect(listIncidentFiles(s.dir)).toEqual([]);
    await s.g.shutdown();
    await s.bb.flush();
    const files = listIncidentFiles(s.dir);
    expect(files.map((f) => f.id)).toEqual(['000001-collision']);
    const { messages } = await readAll(files[0]!.path);
    expect(messages[messages.length - 1]!.t).toBeGreaterThan(1.4);
  });
});

describe('black_box folder bounds', () => {
  it('deletes oldest first by bytes, but never the newest file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kizuna-bb-'));
    dirs.push(dir);
    for (let i = 1; i <= 4; i++) writeFileSync(join(dir, `00000${i}-estop.mcap`), Buffer.alloc(1000));
    writeFileSync(join(dir, '000005-estop.mcap.partial'), Buffer.alloc(5000));
    expect(prune(dir, 10, 2500).map((p) => p.slice(dir.length + 1))).toEqual([
      '000001-estop.mcap',
      '000002-estop.mcap',
    ]);
    expect(prune(dir, 10, 10).map((p) => p.slice(dir.length + 1))).toEqual(['000003-estop.mcap']);
    expect(listIncidentFiles(dir).map((f) => f.id)).toEqual(['000004-estop']);
    expect(existsSync(join(dir, '000005-estop.mcap.partial'))).toBe(true);
  });
});

/**
 * `kizuna sim --foxglove`: @foxglove/ws-protocol's own FoxgloveClient, over a real WebSocket (`ws`)
 * to the real server on a free loopback port, while a real run goes on through the real nodes:
 * channels advertised under the robots' ROS names, subscribe, messages decoded from the advertised
 * schemas, unsubscribe, a second client at the same time, and the server closing both at the end.
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { FoxgloveClient, type Channel } from '@foxglove/ws-protocol';
import WebSocket from 'ws';
import { loadScenario } from '../../sim/scenario';
import { adjustScenario } from '../../sim/fleet/scale';
import { runSim } from '../../sim/fleet/run';
import { FoxgloveLive, parseFoxgloveAddress } from '../../sim/foxglove/server';
import { SimStream } from '../../sim/recording/stream';
import { KizunaError } from '../../nodes/core/errors';

const root = join(__dirname, '..', '..');
const robot = 'delivery1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Watcher {
  client: FoxgloveClient;
  channels: Map<string, Channel>;
  advertised: Promise<void>;
  closed: Promise<{ code: number }>;
}

function connect(url: string): Watcher {
  const ws = new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
  const client = new FoxgloveClient({ ws: ws as unknown as ConstructorParameters<typeof FoxgloveClient>[0]['ws'] });
  const channels = new Map<string, Channel>();
  const advertised = new Promise<void>((resolve) =>
    client.on('advertise', (chs) => {
      for (const c of chs) channels.set(c.topic, c);
      resolve();
    }),
  );
  const closed = new Promise<{ code: number }>((resolve) => client.on('close', (e) => resolve({ code: e.code })));
  return { client, channels, advertised, closed };
}

describe('kizuna sim --foxglove (FoxgloveClient against the live server)', () => {
  it('advertises the run, streams decoded messages to subscribers, honours unsubscribe, serves two clients and closes them at the end', async () => {
    const scenario = adjustScenario(
      loadScenario(join(root, 'sim', 'scenarios', 'obstacle-stop.yaml')),
      { durationS: 14 },
      'obstacle-stop',
    );
    let live: FoxgloveLive | undefined;
    let started!: (url: string) => void;
    const url = new Promise<string>((r) => (started = r));
    const run = runSim({
      scenario,
      source: 'obstacle-stop',
      speed: 2,
      drainTimeoutS: 1,
      live: async (stream) => {
        live = await FoxgloveLive.start(stream, { host: '127.0.0.1', port: 0 });
        started(live.url);
        return live;
      },
    });
    const a = connect(await url);
    await a.advertised;
    expect(live!.watched).toBe(false); // nobody subscribed: the shards do not tap
    for (const t of [
      '/clock',
      '/tf',
      '/kizuna/scene',
      '/kizuna/log',
      `/${robot}/scan`,
      `/${robot}/kizuna/safety_state`,
      `/${robot}/cmd_vel`,
    ]) {
      expect({ t, advertised: a.channels.has(t) }).toEqual({ t, advertised: true });
    }
    const scanCh = a.channels.get(`/${robot}/scan`)!;
    expect([scanCh.encoding, scanCh.schemaName, scanCh.schemaEncoding]).toEqual([
      'cdr',
      'sensor_msgs/msg/LaserScan',
      'ros2msg',
    ]);
    const scanReader = new MessageReader(parse(scanCh.schema, { ros2: true }));
    const stateCh = a.channels.get(`/${robot}/kizuna/safety_state`)!;
    const stateReader = new MessageReader(parse(stateCh.schema, { ros2: true }));

    const scans: Array<{ header: { frame_id: string }; ranges: Float32Array }> = [];
    const states: Array<{ state: number }> = [];
    const scanSub = a.client.subscribe(scanCh.id);
    const stateSub = a.client.subscribe(stateCh.id);
    a.client.on('message', (m) => {
      const data = new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength);
      if (m.subscriptionId === scanSub) scans.push(scanReader.readMessage(data));
      if (m.subscriptionId === stateSub) states.push(stateReader.readMessage(data));
    });

    // A second client at the same time, on the log.
    const b = connect(await url);
    await b.advertised;
    const logCh = b.channels.get('/kizuna/log')!;
    expect([logCh.encoding, logCh.schemaName, logCh.schemaEncoding]).toEqual([
      'cdr',
      'foxglove_msgs/msg/Log',
      'ros2msg',
    ]);
    const logReader = new MessageReader(parse(logCh.schema, { ros2: true }));
    const logs: Array<{ name: string; message: string; level: number }> = [];
    const logSub = b.client.subscribe(logCh.id);
    b.client.on('message', (m) => {
      if (m.subscriptionId === logSub)
        logs.push(logReader.readMessage(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength)));
    });

    for (let i = 0; i < 100 && scans.length < 5; i++) await sleep(50);
    expect(scans.length).toBeGreaterThanOrEqual(5);
    expect(scans[0]!.header.frame_id).toBe(`${robot}/laser`);
    expect(scans[0]!.ranges.length).toBeGreaterThan(10);
    expect(live!.watched).toBe(true);
    expect(live!.clients).toBe(2);

    a.client.unsubscribe(scanSub);
    await sleep(300); // what was in flight arrives
    const afterUnsub = scans.length;
    await sleep(700);
    expect(scans.length).toBe(afterUnsub);

    const [ca, cb] = await Promise.all([a.closed, b.closed]);
    expect(ca.code).toBe(1000);
    expect(cb.code).toBe(1000);
    const result = await run;
    expect(result.report.metrics.simTimeS).toBeCloseTo(14, 5);
    // The safety state went on streaming after the scans were unsubscribed, and showed the stop.
    expect(states.some((s) => s.state === 4)).toBe(true);
    expect(logs.some((l) => l.name === robot && /^safety stop/.test(l.message))).toBe(true);
    expect(live!.clients).toBe(0);
  }, 60_000);
});

describe('--foxglove addresses', () => {
  it('defaults to loopback 8765, takes HOST:PORT and [v6]:PORT, and refuses a host beyond loopback unless asked', () => {
    expect(parseFoxgloveAddress(undefined, false)).toEqual({ host: '127.0.0.1', port: 8765 });
    expect(parseFoxgloveAddress('127.0.0.1:0', false)).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseFoxgloveAddress('[::1]:9000', false)).toEqual({ host: '::1', port: 9000 });
    const refused = (v: string, remote = false): string => {
      try {
        parseFoxgloveAddress(v, remote);
      } catch (e) {
        expect((e as KizunaError).code).toBe('KZ_ERR_CLI_USAGE');
        return (e as Error).message;
      }
      throw new Error(`accepted ${v}`);
    };
    expect(refused('0.0.0.0:8765')).toMatch(/--foxglove-remote/);
    expect(parseFoxgloveAddress('0.0.0.0:8765', true)).toEqual({ host: '0.0.0.0', port: 8765 });
    expect(refused('8765')).toMatch(/HOST:PORT/);
    expect(refused('127.0.0.1:70000')).toMatch(/0\.\.65535/);
  });

  it('fails with KZ_ERR_SIM_FOXGLOVE when the port is taken', async () => {
    const scenario = adjustScenario(
      loadScenario(join(root, 'sim', 'scenarios', 'obstacle-stop.yaml')),
      { durationS: 1 },
      'obstacle-stop',
    );
    const first = await FoxgloveLive.start(new SimStream(scenario), { host: '127.0.0.1', port: 0 });
    try {
      const err = await FoxgloveLive.start(new SimStream(scenario), { host: '127.0.0.1', port: first.port }).catch(
        (e: unknown) => e,
      );
      expect((err as KizunaError).code).toBe('KZ_ERR_SIM_FOXGLOVE');
    } finally {
      await first.close();
    }
  });
});

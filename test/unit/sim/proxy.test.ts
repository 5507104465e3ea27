/**
 * The per-robot link proxy: forwards bytes both ways and counts them; a cut drops the connection at
 * once and refuses new ones until restored; one robot's cut leaves another's link alone. Checked with
 * real MQTT clients through a real broker (embedded aedes).
 */
import { describe, it, expect, afterEach } from '@jest/globals';
import mqtt from 'mqtt';
import { LinkProxy } from '../../../sim/link-proxy';
import { EmbeddedBroker } from '../../../sim/fleet/broker';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function setup(): Promise<{ broker: EmbeddedBroker; a: LinkProxy; b: LinkProxy }> {
  const broker = await EmbeddedBroker.start();
  closers.push(() => broker.close());
  const a = await LinkProxy.start('127.0.0.1', broker.port);
  const b = await LinkProxy.start('127.0.0.1', broker.port);
  closers.push(
    () => a.close(),
    () => b.close(),
  );
  return { broker, a, b };
}

function client(url: string): mqtt.MqttClient {
  const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 100, connectTimeout: 2000 });
  c.on('error', () => undefined);
  closers.push(() => c.endAsync(true));
  return c;
}

describe('LinkProxy', () => {
  it('carries MQTT both ways and counts the bytes of each direction', async () => {
    const { broker, a } = await setup();
    const robot = client(a.url);
    const cloud = client(broker.url);
    await until(() => robot.connected && cloud.connected, 'both clients to connect');
    const got: string[] = [];
    robot.on('message', (_t, p) => got.push(p.toString()));
    await robot.subscribeAsync('down', { qos: 1 });
    await cloud.subscribeAsync('up', { qos: 1 });
    const up: string[] = [];
    cloud.on('message', (_t, p) => up.push(p.toString()));
    const before = { up: a.bytesUp, down: a.bytesDown };
    await robot.publishAsync('up', Buffer.alloc(1000, 'u'), { qos: 1 });
    await cloud.publishAsync('down', Buffer.alloc(2000, 'd'), { qos: 1 });
    await until(() => up.length === 1 && got.length === 1, 'both messages');
    expect(a.bytesUp - before.up).toBeGreaterThanOrEqual(1000);
    expect(a.bytesDown - before.down).toBeGreaterThanOrEqual(2000);
    expect(a.connections).toBe(1);
  });

  it('a cut drops one robot at once and keeps it out until restored; the other robot stays connected', async () => {
    const { a, b } = await setup();
    const r1 = client(a.url);
    const r2 = client(b.url);
    await until(() => r1.connected && r2.connected, 'both robots to connect');
    a.cut();
    expect(a.up).toBe(false);
    await until(() => !r1.connected, 'robot 1 to notice the cut');
    // It keeps retrying (100 ms) and is refused every time.
    await new Promise((r) => setTimeout(r, 400));
    expect(r1.connected).toBe(false);
    expect(r2.connected).toBe(true);
    a.restore();
    await until(() => r1.connected, 'robot 1 to reconnect');
    expect(a.outages).toHaveLength(1);
    expect(a.outages[0]!.toMs! - a.outages[0]!.fromMs).toBeGreaterThanOrEqual(400);
    expect(a.longestOutageMs()).toBe(a.outages[0]!.toMs! - a.outages[0]!.fromMs);
    expect(b.outages).toHaveLength(0);
  });

  it('the embedded broker goes down and comes back on the same port; clients reconnect through their proxies', async () => {
    const { broker, a } = await setup();
    const port = broker.port;
    const r = client(a.url);
    await until(() => r.connected, 'the robot to connect');
    await broker.down();
    expect(broker.running).toBe(false);
    await until(() => !r.connected, 'the robot to lose the broker');
    await broker.up();
    expect(broker.port).toBe(port);
    await until(() => r.connected, 'the robot to reconnect after the restart');
  });
});

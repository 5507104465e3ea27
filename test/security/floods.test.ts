/**
 * One stolen robot credential cannot exhaust the shipped broker (launch/mosquitto/, only paths and
 * ports changed): subscription, connection and queue floods, each measured (the broker's resident
 * memory from /proc/<pid>/status, its open sockets, what the national side gets) and held to a stated
 * bound; and the national side's delivery latency of robot events with and without a flood of `#`
 * subscriptions in the same run. A fresh broker for each test, so one test's memory does not hide
 * another's. The figures are in docs/security.md ("Floods"); bench/security.bench.ts reports them
 * with more samples and next to a broker without the rules.
 */
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { until } from '../integration/cloud_bridge/harness';
import {
  REFUSED,
  ShippedBroker,
  listenerSetting,
  rssKiB,
  shippedSetting,
  shippedSkipReason as skip,
  sleep,
} from './harness';
import { latencyUnderFlood, openFds, p50p99, publishMany } from './flood';

if (skip && process.env.CI === 'true') throw new Error(`broker flood suite cannot run in CI: ${skip}`);
if (skip) console.warn(`broker flood suite skipped: ${skip}`);

const d = skip ? describe.skip : describe;
const MiB = 1024; // in KiB, the unit of VmRSS
/** One line of measured figures on stderr (docs/security.md, "Floods", quotes them). */
const report = (what: string, figures: Record<string, unknown>): void =>
  void process.stderr.write(`floods: ${what} ${JSON.stringify(figures)}\n`);

d('shipped mosquitto configuration: one robot credential cannot exhaust the broker', () => {
  let sb: ShippedBroker;
  beforeEach(async () => {
    sb = await ShippedBroker.start();
  }, 60_000);
  afterEach(async () => {
    await sb?.close();
  });

  it('subscription flood: 20,000 SUBSCRIBEs from one robot credential are refused or replace its one subscription; broker memory grows ≤ 2 MiB', async () => {
    const pid = sb.pid();
    const a = await sb.client('tokyo-1.care-007');
    const own = 'kizuna/v1/tokyo-1/care-007/decision';
    const filters = Array.from({ length: 20_000 }, (_, i) =>
      i % 5 === 0
        ? own // its own topic again and again: one subscription, replaced
        : [`kizuna/v1/tokyo-1/r${i}/decision`, `$share/g${i}/kizuna/v1/+/+/events`, `kizuna/v1/+/r${i}/#`, `r${i}/#`][
            i % 4
          ]!,
    );
    const before = rssKiB(pid);
    const results = await Promise.allSettled(filters.map((f) => a.subscribeAsync(f, { qos: 1 })));
    const after = rssKiB(pid);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(16_000);
    expect(refused.every((r) => REFUSED.test(String((r as PromiseRejectedResult).reason)))).toBe(true);
    expect(a.connected).toBe(true);
    report('subscription flood (robot)', { refused: refused.length, rssKiB: [before, after] });
    expect(after - before).toBeLessThanOrEqual(2 * MiB);
    // Control: the same number of subscriptions granted (a national account may subscribe to narrower
    // filters within its role) takes memory the measurement sees.
    const n = await sb.national();
    const n0 = rssKiB(pid);
    await Promise.all(
      Array.from({ length: 20_000 }, (_, i) => n.subscribeAsync(`kizuna/v1/tokyo-1/r${i}/events`, { qos: 1 })),
    );
    const n1 = rssKiB(pid);
    report('20,000 subscriptions granted (national account)', { rssKiB: [n0, n1] });
    expect(n1 - n0).toBeGreaterThanOrEqual(8 * MiB);
  }, 60_000);

  it('connection flood: 300 connections with one robot credential leave one open, twice over, with bounded memory; the national listener stops at its max_connections', async () => {
    const pid = sb.pid();
    const fds0 = openFds(pid);
    const rss0 = rssKiB(pid);
    const flood = async (): Promise<MqttClient[]> => {
      const all = Array.from({ length: 300 }, (_, i) => {
        const { url, opts } = sb.options('tokyo-1.care-007', { clientId: `thief-${i}` });
        const c = sb.track(mqtt.connect(url, opts));
        c.on('error', () => undefined);
        return c;
      });
      const up: MqttClient[] = [];
      for (const c of all) c.once('connect', () => up.push(c));
      // every attempt has ended: CONNACK and closed by the next one, or closed before (the one left open aside)
      await until(
        () => all.every((c) => c.connected || c.disconnected || !c.stream?.writable),
        'every attempt answered',
        30_000,
      );
      await until(() => all.filter((c) => c.connected).length <= 1, 'all but one closed by the broker', 10_000);
      for (const c of all) if (!c.connected) c.end(true); // our side of whatever the broker closed
      return up;
    };
    const first = await flood();
    expect(first.length).toBeGreaterThan(0);
    expect(first.filter((c) => c.connected)).toHaveLength(1);
    await until(() => openFds(pid) <= fds0 + 1, "the broker's sockets back to one for the thief", 15_000);
    const rss1 = rssKiB(pid);
    await sb.cleanup();
    const second = await flood();
    expect(second.filter((c) => c.connected)).toHaveLength(1);
    const rss2 = rssKiB(pid);
    report('connection flood', { connacks: [first.length, second.length], rssKiB: [rss0, rss1, rss2], fds: fds0 });
    // 300 TLS handshakes at once cost memory once (the allocator keeps it); a second flood reuses it.
    expect(rss1 - rss0).toBeLessThanOrEqual(32 * MiB);
    expect(rss2 - rss1).toBeLessThanOrEqual(8 * MiB);
    expect(sb.broker.log()).toMatch(/Client CN=tokyo-1\.care-007 already connected, closing old connection/);
    await sb.cleanup();

    // The national listener: max_connections sockets (TLS not even started) and not one more.
    const max = Number(listenerSetting(8884, 'max_connections'));
    expect(max).toBe(256);
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = connect(sb.broker.port2, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < max; i++) sockets.push(await open());
      const extra = await Promise.all(Array.from({ length: 5 }, open));
      sockets.push(...extra);
      await until(
        () => extra.every((s) => s.closed || s.readableEnded),
        'the extra sockets closed by the broker',
        5000,
      );
      await sleep(300);
      expect(sockets.slice(0, max).filter((s) => s.closed || s.readableEnded)).toHaveLength(0);
      expect(sb.broker.log()).toMatch(/denied: max_connections exceeded/);
    } finally {
      for (const s of sockets) s.destroy();
    }
    await until(() => openFds(pid) <= fds0, 'the sockets gone');
    await sb.national(); // the listener takes connections again
  }, 60_000);

  it('queue flood for an offline national session: max_queued_bytes holds it to 128 MiB of 64 KiB events (2,048 of 3,072), broker memory within 128 + 32 MiB', async () => {
    const maxBytes = Number(shippedSetting('max_queued_bytes'));
    expect(maxBytes).toBe(128 * 1024 * 1024);
    const pid = sb.pid();
    const session = { clientId: 'national-1', clean: false, properties: { sessionExpiryInterval: 600 } };
    const nat = await sb.national(session);
    await nat.subscribeAsync('kizuna/v1/+/+/events', { qos: 1 });
    await nat.endAsync();
    const a = await sb.client('tokyo-1.care-007');
    const before = rssKiB(pid);
    const size = 64 * 1024;
    const sent = Math.ceil((1.5 * maxBytes) / size);
    await publishMany(a, 'kizuna/v1/tokyo-1/care-007/events', Buffer.alloc(size, 'x'), sent);
    const after = rssKiB(pid);
    expect(after - before).toBeLessThanOrEqual(maxBytes / 1024 + 32 * MiB);
    const got = await drain(sb, session);
    report('queue flood (bytes)', { sent, delivered: got, rssKiB: [before, after] });
    expect(got).toBe(maxBytes / size);
    expect(got).toBeLessThan(sent);
  }, 60_000);

  it('queue flood for an offline national session: max_queued_messages holds it to 100,000 of 110,000 events', async () => {
    const maxMessages = Number(shippedSetting('max_queued_messages'));
    expect(maxMessages).toBe(100_000);
    const pid = sb.pid();
    const session = { clientId: 'national-1', clean: false, properties: { sessionExpiryInterval: 600 } };
    const nat = await sb.national(session);
    await nat.subscribeAsync('kizuna/v1/+/+/events', { qos: 1 });
    await nat.endAsync();
    const a = await sb.client('tokyo-1.care-007');
    const before = rssKiB(pid);
    await publishMany(a, 'kizuna/v1/tokyo-1/care-007/events', Buffer.alloc(100, 'x'), maxMessages + 10_000);
    const after = rssKiB(pid);
    const got = await drain(sb, session);
    report('queue flood (messages)', { sent: maxMessages + 10_000, delivered: got, rssKiB: [before, after] });
    // about 490 bytes per queued message, its payload included
    expect(after - before).toBeLessThanOrEqual(64 * MiB);
    expect(got).toBe(maxMessages);
  }, 60_000);

  it("the national side's delivery latency of robot events under a flood of # subscriptions from 300 connections of one credential: p50 within 5× + 10 ms, p99 within 5× + 1 s (15 s without the rules), broker memory within 32 MiB", async () => {
    const run = await latencyUnderFlood(sb, 'subscribe', {
      pairs: 4,
      windowMs: 1000,
      connections: 300,
      reconnectMs: 1000,
    });
    const base = p50p99(run.base);
    const flood = p50p99(run.flood);
    const figures = `base p50 ${base.p50.toFixed(2)} p99 ${base.p99.toFixed(2)} ms, flood p50 ${flood.p50.toFixed(2)} p99 ${flood.p99.toFixed(2)} ms, ${run.thiefConnections} thief connections, ${JSON.stringify(run.attacker)}`;
    report('latency under a # flood', { figures, rssKiB: [run.rssBeforeKiB, run.rssAfterKiB] });
    // every event delivered in both conditions
    expect([run.base.length, run.flood.length]).toEqual([run.sent.base, run.sent.flood]);
    expect(run.sent.flood).toBeGreaterThanOrEqual(200);
    // the flood ran (most of its connections live a few ms: the next one closes them), and not one
    // subscription was granted
    expect([run.thiefConnections >= 150, figures]).toEqual([true, figures]);
    expect(run.attacker.subscribeGranted).toBe(0);
    // Latency is measured on a shared 2-core machine that also runs the thief's TLS handshakes: the bounds
    // separate "the rules hold" (p50 0.7 to 3.2 ms here) from "the broker is starved" (seconds); the tight
    // figures are the bench's (`npm run bench -- --only security`), not this test's.
    expect([flood.p50 <= 5 * base.p50 + 10, figures]).toEqual([true, figures]);
    // The tail is the thief's TLS handshakes (a burst of them when its process gets the CPU back), which a
    // client without any credential causes as well (bench: handshake_flood_no_credential); here it was
    // 9 to 241 ms over five runs on a shared 2-core machine. Without the rules it was 15 s (bench).
    expect([flood.p99 <= 5 * base.p99 + 1000, figures]).toEqual([true, figures]);
    expect(run.rssAfterKiB - run.rssBeforeKiB).toBeLessThanOrEqual(32 * MiB);
  }, 60_000);
});

/** Reconnects the national consumer's persistent session and counts what it gets until it stops coming. */
async function drain(sb: ShippedBroker, session: Record<string, unknown>): Promise<number> {
  let got = 0;
  const { url, opts } = sb.options('national-1', { national: 'national-1', ...session });
  const c = sb.track(mqtt.connect(url, opts));
  c.on('message', () => got++);
  await until(() => got > 0, 'the first queued event', 20_000);
  for (let last = -1; got !== last;) {
    last = got;
    await sleep(500);
  }
  return got;
}

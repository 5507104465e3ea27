/**
 * Retained messages forged with a stolen robot credential on the robot's own topics that are never
 * retained (state, events, decision/request): no national account may clear them on the shipped broker,
 * so the real robot clears them itself at every connect (a zero-length retained message on each, before
 * anything else), and consumers ignore zero-length messages there (docs/contract.md).
 */
import { describe, it, expect } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { Robot, until } from '../integration/cloud_bridge/harness';
import { REFUSED, shippedSkipReason as skip, sleep } from './harness';
import { useShippedBroker } from './shipped-suite';

if (skip && process.env.CI === 'true') throw new Error(`retained-message security suite cannot run in CI: ${skip}`);
if (skip) console.warn(`retained-message security suite skipped: ${skip}`);

const d = skip ? describe.skip : describe;
const base = 'kizuna/v1/tokyo-1/care-007';
const CLEARED = ['state', 'events', 'decision/request'].map((c) => `${base}/${c}`);

d('stray retained messages on a robot’s own topics (shipped mosquitto)', () => {
  const shipped = useShippedBroker();
  const { robots, file } = shipped;

  /** What a national consumer subscribing to `topics` now gets with the retain flag within `ms`. */
  async function retainedFor(topics: string[], ms = 1000): Promise<Array<{ topic: string; payload: string }>> {
    const c = await shipped.sb.national();
    const got: Array<{ topic: string; payload: string }> = [];
    c.on('message', (topic, payload, packet) => {
      if (packet.retain) got.push({ topic, payload: payload.toString() });
    });
    await c.subscribeAsync(topics, { qos: 1 });
    await sleep(ms);
    await c.endAsync(true);
    return got;
  }

  it('a forged retained state, event and request left by a thief are gone once the real robot connects', async () => {
    // The thief, with robot A's credential, retains forgeries on A's topics that are never retained.
    const thief: MqttClient = await shipped.sb.client('tokyo-1.care-007');
    for (const t of CLEARED) await thief.publishAsync(t, `{"forged":"${t}"}`, { qos: 1, retain: true });
    await thief.endAsync();
    // Control: they stand, and no national account can clear them.
    expect((await retainedFor(CLEARED)).map((m) => m.topic).sort()).toEqual([...CLEARED].sort());
    const nat = await shipped.sb.national();
    for (const t of CLEARED) await expect(nat.publishAsync(t, '', { qos: 1, retain: true })).rejects.toThrow(REFUSED);

    // A consumer that stays subscribed while the robot connects: what it is sent, in order.
    const watcher = await shipped.sb.national();
    const seen: Array<{ topic: string; bytes: number; retain: boolean; text: string }> = [];
    watcher.on('message', (topic, payload, packet) =>
      seen.push({ topic, bytes: payload.length, retain: packet.retain, text: payload.toString() }),
    );
    await watcher.subscribeAsync([...CLEARED, `${base}/status`], { qos: 1 });
    await until(() => seen.filter((m) => m.retain).length >= 3, 'the forgeries at the watcher');

    const a = Robot.start({
      url: `mqtts://localhost:${shipped.sb.broker.port}`,
      root: 'kizuna/v1',
      protocol: 5,
      robotId: 'care-007',
      params: {
        fleet: 'tokyo-1',
        tls_ca_file: file('robot-ca.crt'),
        tls_cert_file: file('tokyo-1.care-007.crt'),
        tls_key_file: file('tokyo-1.care-007.key'),
      },
    });
    robots.push(a);
    await a.connected();
    const birth = (): number => seen.findIndex((m) => m.topic.endsWith('/status') && m.text.includes('"online"'));
    await until(() => birth() >= 0, "the robot's birth at the watcher");

    // The watcher was sent one zero-length message on each of the three topics (the contract says to
    // ignore them), before the robot's birth.
    const clears = seen.flatMap((m, i) => (m.bytes === 0 ? [{ topic: m.topic, i }] : []));
    expect(clears.map((c) => c.topic).sort()).toEqual([...CLEARED].sort());
    for (const c of clears) expect(c.i).toBeLessThan(birth());

    // A consumer subscribing now gets nothing retained but the robot's own status.
    const after = await retainedFor([...CLEARED, `${base}/status`]);
    expect(after.map((m) => m.topic)).toEqual([`${base}/status`]);
    expect(after[0]!.payload).toContain('"online"');
  }, 60_000);
});

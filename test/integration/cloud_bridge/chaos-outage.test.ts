/**
 * A seconds-long slice of `npm run chaos -- --only outage` (scripts/chaos/outage.ts) against mosquitto:
 * half an hour of a robot's outbox traffic produced while its link is cut, with an outbox of 256 KiB on
 * disk so the disk bound is what drops telemetry (and the store's files must stay within it + 1 MiB);
 * then the link returns and the backlog drains and the file shrinks.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mosquittoSkipReason, startMosquitto, type MosquittoBroker } from '../../helpers/brokers';
import { outage } from '../../../scripts/chaos/outage';

const skip = mosquittoSkipReason();

(skip ? describe.skip : describe)(`chaos slice: link outage, then drain (mosquitto)${skip ? ` (${skip})` : ''}`, () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker.close();
  });

  it('keeps every event, drops telemetry oldest first with a loss event, drains in order at the rate', async () => {
    const r = await outage(broker, {
      hours: 0.5,
      eventPeriodS: 20,
      telemetryPeriodS: 1,
      outbox: {
        outbox_soft_max_messages: 5000,
        outbox_max_messages: 10000,
        // the disk bound is what drops: 1,890 messages take about 650 KB of pages
        outbox_max_bytes: 256 * 1024,
        outbox_rate_per_s: 200,
      },
    });
    const checks = r.checks as Record<string, { value: number; pass: boolean }>;
    const failed = Object.entries(checks).filter(([, c]) => !c.pass);
    expect(failed).toEqual([]);
    expect(r.produced).toEqual(expect.objectContaining({ events: 90, telemetry: 1800 }));
    // the disk bound was hit and held (the check fails past outbox_max_bytes + 1 MiB): telemetry went,
    // oldest first, and the far end was told, with counts
    expect(checks.diskBytesMax!.value).toBeGreaterThan(256 * 1024);
    expect(checks.diskBytesMax!.pass).toBe(true);
    expect(checks.seqsMissingVsLossEvents!.value).toBeGreaterThan(500);
    expect(checks.eventsLost!.value).toBe(0);
  }, 60_000);
});

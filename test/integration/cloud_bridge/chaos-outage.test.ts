/**
 * A seconds-long slice of `npm run chaos -- --only outage` (scripts/chaos/outage.ts) against mosquitto:
 * half an hour of a robot's outbox traffic produced while its link is cut, with a small outbox so the
 * telemetry bound is hit; then the link returns and the backlog drains.
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
        outbox_soft_max_messages: 500,
        outbox_max_messages: 1000,
        outbox_max_bytes: 8 * 1024 * 1024,
        outbox_rate_per_s: 200,
      },
    });
    const checks = r.checks as Record<string, { value: number; pass: boolean }>;
    const failed = Object.entries(checks).filter(([, c]) => !c.pass);
    expect(failed).toEqual([]);
    expect(r.produced).toEqual(expect.objectContaining({ events: 90, telemetry: 1800 }));
    // the telemetry bound was hit: the far end was told, with counts
    expect(checks.seqsMissingVsLossEvents!.value).toBeGreaterThan(1000);
    expect(checks.eventsLost!.value).toBe(0);
  }, 60_000);
});

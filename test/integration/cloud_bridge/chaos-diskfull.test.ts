/**
 * `npm run chaos -- --only diskfull` (scripts/chaos/diskfull.ts) against mosquitto: the outbox store on
 * an 8 MiB tmpfs that fills up while the link is down. Needs root to mount the tmpfs: skipped otherwise.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mosquittoSkipReason, startMosquitto, type MosquittoBroker } from '../../helpers/brokers';
import { diskfull } from '../../../scripts/chaos/diskfull';

const skip = mosquittoSkipReason() ?? (process.getuid?.() === 0 ? undefined : 'mounting a tmpfs needs root');

(skip ? describe.skip : describe)(`chaos: outbox store on a full filesystem${skip ? ` (${skip})` : ''}`, () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker.close();
  });

  it('reports KZ_ERR_BRIDGE_STORE and CLOUD_OUTBOX_STORE_FULL, keeps running, loses nothing it accepted', async () => {
    const r = await diskfull(broker);
    expect(r.skipped).toBeUndefined();
    const checks = r.checks as Record<string, { value: number; pass: boolean }>;
    expect(Object.entries(checks).filter(([, c]) => !c.pass)).toEqual([]);
    expect(r.eventsAcceptedBeforeFull).toBe(500);
    expect(r.depthAtEnd).toBe(0);
  }, 60_000);
});

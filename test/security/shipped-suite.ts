/**
 * One describe block's shipped broker (harness.ts): started before its tests, after each test its robots
 * stopped and its clients and files cleaned up, stopped after all. Jest-only (the bench uses harness.ts
 * without this).
 */
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import type { Robot } from '../integration/cloud_bridge/harness';
import { ShippedBroker } from './harness';

export interface ShippedSuite {
  /** The running broker (after `beforeAll`). */
  readonly sb: ShippedBroker;
  /** Robots a test started: stopped after it. */
  readonly robots: Robot[];
  /** A path in the broker's folder. */
  file(name: string): string;
}

/** Registers the hooks; `started` runs once the broker is up (e.g. to write password files). */
export function useShippedBroker(started?: (sb: ShippedBroker) => void): ShippedSuite {
  let broker: ShippedBroker | undefined;
  const robots: Robot[] = [];
  const suite: ShippedSuite = {
    get sb(): ShippedBroker {
      if (!broker) throw new Error('the shipped broker is not started yet (use it inside a test)');
      return broker;
    },
    robots,
    file: (name) => suite.sb.file(name),
  };
  beforeAll(async () => {
    broker = await ShippedBroker.start();
    started?.(broker);
  }, 60_000);
  afterEach(async () => {
    for (const r of robots.splice(0)) await r.stop();
    await broker?.cleanup();
  });
  afterAll(async () => {
    await broker?.close();
  });
  return suite;
}

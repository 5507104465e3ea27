/**
 * The disk-full experiment: the outbox's SQLite store on a small tmpfs of its own (mounted here, so
 * root is needed; without it the experiment reports itself skipped with the reason), the link cut so
 * events pile up, the filesystem filled by a filler file until the store cannot grow. Then: the bridge
 * reports KZ_ERR_BRIDGE_STORE and the health fault CLOUD_OUTBOX_STORE_FULL, keeps running (heartbeat,
 * BridgeStatus), and once the link returns and the space is freed every event it accepted (every seq
 * it handed out) arrives at the far end.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkProxy } from '../../sim/link-proxy';
import type { TestBroker } from '../../test/helpers/brokers';
import { Robot, TEST_KEYS_JSON, uniqueRoot } from '../../test/integration/cloud_bridge/harness';
import { FarEnd, Producer, check, sleep, waitFor, type Check } from './common';

/** Fills the filesystem of `path` with a file (1 MiB writes, then 4 KiB ones) until ENOSPC. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  let n = 0;
  try {
    for (const size of [1 << 20, 4096, 512]) {
      const b = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          n += writeSync(fd, b);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

export async function diskfull(broker: TestBroker, sizeMiB = 8): Promise<Record<string, unknown> & { pass: boolean }> {
  const work = mkdtempSync(join(tmpdir(), 'kizuna-chaos-diskfull-'));
  const mnt = join(work, 'fs');
  try {
    execFileSync('mkdir', ['-p', mnt]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'kizuna-chaos', mnt], { stdio: 'pipe' });
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    return {
      experiment: 'diskfull',
      skipped: `a tmpfs could not be mounted (${(err as Error).message.split('\n')[0]}): run as root`,
      pass: true,
    };
  }
  const root = uniqueRoot();
  const far = await FarEnd.connect(broker.url, root);
  const proxy = await LinkProxy.start('127.0.0.1', broker.port);
  writeFileSync(join(work, 'keys.json'), TEST_KEYS_JSON);
  const robot = Robot.start({
    url: proxy.url,
    root,
    protocol: 5,
    robotId: 'care-full',
    dir: work,
    params: { store_path: join(mnt, 'bridge.sqlite'), reconnect_min_s: 0.1, reconnect_max_s: 0.5 },
  });
  const prod = new Producer(robot);
  const health = robot.probe;
  const faults: string[] = [];
  health.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', (m) => {
    for (const s of m.status) for (const kv of s.values) if (kv.key === 'fault_code') faults.push(kv.value);
  });
  try {
    await robot.connected();
    proxy.cut();
    await waitFor(() => !robot.bridge.link.connected, 5000);
    // accepted while there is room: these must all arrive in the end
    for (let i = 0; i < 500; i++) {
      prod.event(`a${i}`);
      if (i % 4 === 3) await prod.flush();
    }
    await prod.flush();
    const acceptedBefore = robot.bridge.store.lastSeq;
    const filler = join(mnt, 'filler');
    const fillerBytes = fill(filler);
    // events until the store refuses them (the store's pages and WAL need room the filler took)
    let n = 0;
    let refused = 0;
    let lastSeq = robot.bridge.store.lastSeq;
    for (let i = 0; i < 200_000 && refused < 200; i++) {
      prod.event(`x${n++}`);
      if (i % 4 === 3) {
        await prod.flush();
        const s = robot.bridge.store.lastSeq;
        if (s === lastSeq) refused += 4;
        lastSeq = s;
      }
    }
    await prod.flush();
    await sleep(1500);
    const accepted = robot.bridge.store.lastSeq;
    const status = robot.lastStatus();
    const heartbeatsBefore = robot.heartbeats.length;
    await sleep(1500);
    const alive = robot.heartbeats.length > heartbeatsBefore;
    const errorText = status?.last_error ?? '';
    // the link returns; then the operator frees space
    proxy.restore();
    await sleep(3000);
    const arrivedWhileFull = new Set(far.events.map((e) => e.seq)).size;
    rmSync(filler);
    const drained = await waitFor(() => robot.bridge.store.depth === 0, 60_000 + accepted * 10);
    await sleep(500);
    const seqs = new Set(far.events.map((e) => e.seq));
    const lost: number[] = [];
    for (let s = 1; s <= accepted; s++) if (!seqs.has(s)) lost.push(s);
    const order = far.order();
    const checks: Record<string, Check> = {
      refusedWhileFull: check(
        n - (accepted - acceptedBefore),
        '> 0 (the filesystem did fill up)',
        accepted - acceptedBefore < n,
      ),
      errorCode: check(
        errorText.includes('KZ_ERR_BRIDGE_STORE') ? 1 : 0,
        '1: BridgeStatus.last_error names KZ_ERR_BRIDGE_STORE',
        errorText.includes('KZ_ERR_BRIDGE_STORE'),
      ),
      healthFault: check(
        faults.includes('CLOUD_OUTBOX_STORE_FULL') ? 1 : 0,
        '1: diagnostics name fault CLOUD_OUTBOX_STORE_FULL',
        faults.includes('CLOUD_OUTBOX_STORE_FULL'),
      ),
      keepsRunning: check(alive ? 1 : 0, '1: heartbeat continues', alive),
      acceptedLost: check(lost.length, '0 (every seq handed out arrives)', lost.length === 0),
      firstArrivalsOutOfOrder: check(order.outOfOrder, '0', order.outOfOrder === 0),
      drained: check(drained ? 1 : 0, '1 (after the space is freed)', drained),
    };
    return {
      experiment: `diskfull: outbox store on a ${sizeMiB} MiB tmpfs filled up while the link is down`,
      broker: broker.kind,
      fillerBytes,
      eventsAcceptedBeforeFull: acceptedBefore,
      eventsOfferedWhileFull: n,
      eventsAccepted: accepted,
      arrivedBeforeSpaceFreed: arrivedWhileFull,
      duplicates: order.duplicates,
      depthAtEnd: robot.bridge.store.depth,
      lastError: errorText,
      checks,
      pass: Object.values(checks).every((c) => c.pass),
    };
  } finally {
    await robot.stop(true);
    await proxy.close();
    await far.close();
    try {
      execFileSync('umount', [mnt], { stdio: 'pipe' });
    } catch {
      // left mounted: reported by the caller's rmSync failing
    }
    rmSync(work, { recursive: true, force: true });
  }
}

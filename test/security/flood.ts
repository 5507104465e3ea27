/**
 * Floods from one stolen robot credential against the shipped broker, and what they cost the
 * national side: what test/security/floods.test.ts asserts and bench/security.bench.ts reports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { percentile } from '../../bench/harness';
import { rssKiB, sleep, type ShippedBroker } from './harness';

/** [ms] of CPU (user + system) a process has used so far. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks: 100 per s on Linux
}

/** How many file descriptors (sockets included) a process has open. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** QoS 1 publishes of `payload` on `topic`, `window` in flight, until `count` are acknowledged. */
export async function publishMany(
  c: MqttClient,
  topic: string,
  payload: Buffer,
  count: number,
  window = 32,
): Promise<void> {
  let sent = 0;
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (sent - done < window && sent < count) {
        sent++;
        c.publish(topic, payload, { qos: 1 }, (err) => {
          if (err) return reject(err);
          if (++done === count) resolve();
          else pump();
        });
      }
    };
    pump();
  });
}

/** What the attacker process did (its own count, printed when it stops). */
export interface AttackerCounts {
  connects: number;
  subscribeRefused: number;
  subscribeGranted: number;
  published: number;
  errors: number;
}

export type AttackMode = 'subscribe' | 'publish';

export interface AttackOptions {
  /** The certificate it uses (default tokyo-1.care-007's, the stolen credential). */
  cert?: string;
  /** subscribe: how many clients (default 300) and about how long each waits to come back [ms] (default 1000). */
  connections?: number;
  reconnectMs?: number;
  /** publish: the size of each event [bytes] (default 1024). */
  bytes?: number;
}

/**
 * The thief in its own process (test/security/attacker.ts), at the lowest CPU priority: on a 2-core
 * machine it shares the cores with the broker and the measuring process, and at equal priority its own
 * TLS work would slow the measuring process, which a thief on another machine does not.
 */
export class Attacker {
  private out = '';
  private constructor(private readonly proc: ChildProcess) {
    proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
  }

  static start(sb: ShippedBroker, mode: AttackMode, o: AttackOptions = {}): Attacker {
    const { cert = 'tokyo-1.care-007', ...rest } = o;
    const args = {
      mode,
      url: `mqtts://localhost:${sb.broker.port}`,
      ca: sb.file('robot-ca.crt'),
      cert: sb.file(`${cert}.crt`),
      key: sb.file(`${cert}.key`),
      topic: 'kizuna/v1/tokyo-1/care-007/events',
      ...rest,
    };
    const proc = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'attacker.ts'), JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      setPriority(proc.pid!, 19);
    } catch {
      // not allowed here: it runs at normal priority
    }
    return new Attacker(proc);
  }

  /** Freezes it (its connections stay open and idle). */
  pause(): void {
    this.proc.kill('SIGSTOP');
  }

  resume(): void {
    this.proc.kill('SIGCONT');
  }

  /** Stops it and returns its counts. */
  async stop(): Promise<AttackerCounts> {
    if (this.proc.exitCode !== null) throw new Error(`the attacker exited early (${this.proc.exitCode})`);
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGCONT');
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    return JSON.parse(this.out.trim().split('\n').at(-1) || '{}') as AttackerCounts;
  }

  /** Makes sure it is gone (after a failure). */
  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

export interface LatencyRun {
  /** [ms] delivery latency of robot B's events at the national consumer, attacker paused. */
  base: number[];
  /** [ms] the same, attacker running. */
  flood: number[];
  /** Events robot B sent in each condition (all arrive: `base.length`, `flood.length`). */
  sent: { base: number; flood: number };
  attacker: AttackerCounts;
  /** [KiB] broker RSS before the attacker started and after it stopped. */
  rssBeforeKiB: number;
  rssAfterKiB: number;
  /** [ms] broker CPU time used in the base and flood windows (the same total length each). */
  brokerCpuBaseMs: number;
  brokerCpuFloodMs: number;
  /** Connections the broker accepted under the thief's identity during the run (from its log). */
  thiefConnections: number;
}

/**
 * The national side's delivery latency of robot events with and without a flood, in the same run:
 * robot B publishes a QoS 1 event every 10 ms (its send time inside), the national consumer
 * national-1 receives every robot's events (`kizuna/v1/+/+/events`, QoS 1), and a background robot
 * (osaka-1/care-007) publishes 1,000 state messages a second (256 bytes, QoS 0, what 1,000 robots at
 * 1 Hz send), which is what a `#` subscriber would have copied to it. The attacker runs in
 * alternating windows (`pairs` × a base window with it frozen, then a flood window with it running),
 * so a change in the machine's load falls on both sides alike.
 */
export async function latencyUnderFlood(
  sb: ShippedBroker,
  mode: AttackMode,
  o: AttackOptions & { pairs?: number; windowMs?: number } = {},
): Promise<LatencyRun> {
  const pairs = o.pairs ?? 4;
  const windowMs = o.windowMs ?? 1000;
  const pid = sb.pid();
  const nat = await sb.national();
  const got: Record<'warm' | 'base' | 'flood', number[]> = { warm: [], base: [], flood: [] };
  const sent: Record<'warm' | 'base' | 'flood', number> = { warm: 0, base: 0, flood: 0 };
  nat.on('message', (topic, payload) => {
    if (topic !== 'kizuna/v1/tokyo-1/care-008/events') return;
    const m = JSON.parse(payload.toString()) as { t: number; w: keyof typeof got };
    got[m.w].push(performance.now() - m.t);
  });
  await nat.subscribeAsync('kizuna/v1/+/+/events', { qos: 1 });
  const b = await sb.client('tokyo-1.care-008');
  const bg = await sb.client('osaka-1.care-007');
  const state = Buffer.alloc(256, 's');
  const background = setInterval(() => {
    for (let i = 0; i < 10; i++) bg.publish('kizuna/v1/osaka-1/care-007/state', state, { qos: 0 });
  }, 10);
  /** One window of events labelled `w`; returns the broker's CPU time in it [ms]. */
  const window = async (w: keyof typeof got): Promise<number> => {
    const cpu0 = cpuMs(pid);
    const end = performance.now() + windowMs;
    while (performance.now() < end) {
      sent[w]++;
      b.publish('kizuna/v1/tokyo-1/care-008/events', JSON.stringify({ t: performance.now(), w }), { qos: 1 });
      await sleep(10);
    }
    return cpuMs(pid) - cpu0;
  };
  const logBefore = sb.broker.log().length;
  let attacker: Attacker | undefined;
  try {
    await window('warm');
    const rssBeforeKiB = rssKiB(pid);
    const { cert, connections, reconnectMs, bytes } = o;
    attacker = Attacker.start(sb, mode, { cert, connections, reconnectMs, bytes });
    // Its first connections all at once (a burst of TLS handshakes) are over before the measuring starts.
    const since = (re: RegExp): number => (sb.broker.log().slice(logBefore).match(re) ?? []).length;
    const thief = (): number => since(/New client connected from \S+ as CN=tokyo-1\.care-007 /g);
    const upBy = Date.now() + 20_000;
    const first = mode === 'subscribe' ? (o.connections ?? 300) : 1;
    while (since(/New connection from /g) < first && Date.now() < upBy) await sleep(100);
    await sleep(1000);
    let brokerCpuBaseMs = 0;
    let brokerCpuFloodMs = 0;
    for (let i = 0; i < pairs; i++) {
      attacker.pause();
      await sleep(300);
      brokerCpuBaseMs += await window('base');
      attacker.resume();
      await sleep(1000); // the reconnects due while it was frozen, all at once, are past
      brokerCpuFloodMs += await window('flood');
    }
    const counts = await attacker.stop();
    // every event of both conditions, however late (a late one is a sample, not a loss)
    const deadline = Date.now() + 15_000;
    while ((got.base.length < sent.base || got.flood.length < sent.flood) && Date.now() < deadline) await sleep(50);
    const thiefConnections = thief();
    return {
      base: got.base,
      flood: got.flood,
      sent: { base: sent.base, flood: sent.flood },
      attacker: counts,
      rssBeforeKiB,
      rssAfterKiB: rssKiB(pid),
      brokerCpuBaseMs,
      brokerCpuFloodMs,
      thiefConnections,
    };
  } finally {
    attacker?.kill();
    clearInterval(background);
  }
}

/** p50 and p99 of samples [ms]. */
export function p50p99(samples: number[]): { p50: number; p99: number } {
  return { p50: percentile([...samples], 50), p99: percentile([...samples], 99) };
}

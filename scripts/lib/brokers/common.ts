/**
 * What the clustered-broker engines (Artemis, NATS) share: where their downloads are cached, free
 * loopback ports, waiting for a port, and a real MQTT round trip as the health check.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';

/** Root of the repository (scripts/lib/brokers → ../../..). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** Where engines are fetched to and built: $KIZUNA_BROKER_CACHE, else .cache/brokers (git-ignored). */
export function brokerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KIZUNA_BROKER_CACHE ? resolve(env.KIZUNA_BROKER_CACHE) : join(REPO_ROOT, '.cache', 'brokers');
}

/** `n` distinct free TCP ports on 127.0.0.1. */
export async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) {
    out.add(
      await new Promise<number>((res, rej) => {
        const s = createServer();
        s.once('error', rej);
        s.listen(0, '127.0.0.1', () => {
          const port = (s.address() as { port: number }).port;
          s.close(() => res(port));
        });
      }),
    );
  }
  return [...out];
}

/** Whether 127.0.0.1:port accepts a TCP connection now. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/** Resolves once 127.0.0.1:port accepts connections; rejects after `timeoutMs` naming `what`. */
export async function waitForPort(
  port: number,
  timeoutMs: number,
  what: string,
  alive?: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await portOpen(port)) return;
    const dead = alive?.();
    if (dead) throw new Error(`${what} exited before listening on ${port}: ${dead}`);
    if (Date.now() > deadline) throw new Error(`${what}: nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The health check: an MQTT client connects to `url` with `version`, subscribes, publishes one QoS 1
 * message to itself and gets it back. Resolves with the round trip [ms]; rejects with why.
 */
export async function mqttRoundTrip(url: string, version: 4 | 5, timeoutMs = 10_000): Promise<number> {
  const c = await mqtt.connectAsync(url, {
    protocolVersion: version,
    clientId: `kizuna-health-${Math.random().toString(36).slice(2, 10)}`,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    clean: true,
  });
  try {
    const topic = `kizuna-health/${Math.random().toString(36).slice(2)}`;
    const t0 = performance.now();
    const got = new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no message back on ${url} within ${timeoutMs} ms`)), timeoutMs);
      c.once('message', () => {
        clearTimeout(timer);
        res();
      });
    });
    await c.subscribeAsync(topic, { qos: 1 });
    await c.publishAsync(topic, 'ping', { qos: 1 });
    await got;
    return performance.now() - t0;
  } finally {
    await c.endAsync(true);
  }
}

/** Resolves the path of `cmd` on PATH, or undefined. */
export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

/** [MB] resident memory of process `pid` (from /proc), or undefined. */
export function rssMB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  const r = spawnSync('sh', ['-c', `grep VmRSS /proc/${pid}/status`], { encoding: 'utf8' });
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(r.stdout);
  return m ? Math.round(Number(m[1]) / 1024) : undefined;
}

/** A broker process that ended: why, with the tail of its output; undefined while it runs. */
export function exitedText(p: ChildProcess | undefined, output: string): string | undefined {
  if (!p) return 'not started';
  if (p.exitCode !== null) return `exit code ${p.exitCode}: ${output.slice(-2000)}`;
  if (p.signalCode !== null) return `signal ${p.signalCode}`;
  return undefined;
}

/** Stops broker processes (SIGTERM, then SIGKILL after 10 s) and removes `removeDir`. */
export async function stopAll(procs: ReadonlyArray<ChildProcess | undefined>, removeDir?: string): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      await new Promise<void>((res) => {
        const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
        p.once('exit', () => {
          clearTimeout(t);
          res();
        });
        p.kill('SIGTERM');
      });
    }),
  );
  if (removeDir) rmSync(removeDir, { recursive: true, force: true });
}

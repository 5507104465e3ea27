/**
 * NATS as a clustered MQTT broker: three nats-server nodes with JetStream (the MQTT gateway keeps its
 * sessions, subscriptions and QoS 1 messages in JetStream streams, replicated on all three with
 * `stream_replicas: 3`) and an MQTT listener each, on loopback ports. The binary is built once with
 * `go install github.com/nats-io/nats-server/v2@<v>` (through the Go module proxy) into the broker cache.
 * Its MQTT gateway speaks 3.1.1 only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerCacheDir, exitedText, stopAll, freePorts, mqttRoundTrip, rssMB, waitForPort, which } from './common';

export const NATS_VERSION = 'v2.15.3';
const MODULE = 'github.com/nats-io/nats-server/v2';

/** The nats-server binary under the cache, whether or not it is there yet. */
export function natsBinary(cache = brokerCacheDir()): string {
  return join(cache, 'nats', NATS_VERSION, 'bin', 'nats-server');
}

/** Why NATS cannot run here (not built: `npm run broker:cluster`), or undefined. */
export function natsMissing(cache = brokerCacheDir()): string | undefined {
  return existsSync(natsBinary(cache))
    ? undefined
    : `nats-server ${NATS_VERSION} is not in ${join(cache, 'nats')}: run npm run broker:cluster (needs go and the network once)`;
}

/** Builds nats-server with `go install` into the cache (idempotent); returns the binary. */
export function fetchNats(cache = brokerCacheDir(), log: (s: string) => void = () => undefined): string {
  const bin = natsBinary(cache);
  if (existsSync(bin)) return bin;
  const go = which('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) throw new Error('go is not installed (it builds nats-server: https://go.dev/doc/install or golang-go)');
  const dir = join(cache, 'nats', NATS_VERSION);
  mkdirSync(dir, { recursive: true });
  log(`building ${MODULE}@${NATS_VERSION} with ${go}`);
  const r = spawnSync(go, ['install', `${MODULE}@${NATS_VERSION}`], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GOBIN: join(dir, 'bin'),
      GOPATH: join(cache, 'gopath'),
      GOFLAGS: '-modcacherw',
      CGO_ENABLED: '0',
    },
  });
  if (r.status !== 0 || !existsSync(bin))
    throw new Error(`go install ${MODULE}@${NATS_VERSION} failed:\n${r.stdout}${r.stderr}`);
  return bin;
}

export interface NatsNode {
  readonly name: string;
  readonly clientPort: number;
  readonly routePort: number;
  readonly mqttPort: number;
  readonly url: string;
  readonly conf: string;
  proc: ChildProcess | undefined;
  output: string;
}

/** A 3-node NATS cluster with JetStream and MQTT on loopback. */
export class NatsCluster {
  private constructor(
    readonly nodes: readonly NatsNode[],
    private readonly bin: string,
  ) {}

  /** MQTT URLs of the nodes. */
  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /** Writes the three configurations under `dir`. */
  static async create(o: { dir: string; cache?: string; size?: number }): Promise<NatsCluster> {
    const missing = natsMissing(o.cache);
    if (missing) throw new Error(missing);
    const size = o.size ?? 3;
    const ports = await freePorts(size * 3);
    const nodes: NatsNode[] = [];
    for (let i = 0; i < size; i++) {
      const name = `n${i + 1}`;
      const dir = join(o.dir, name);
      mkdirSync(dir, { recursive: true });
      const [clientPort, routePort, mqttPort] = [ports[i * 3]!, ports[i * 3 + 1]!, ports[i * 3 + 2]!];
      const routes: string[] = [];
      for (let j = 0; j < size; j++) if (j !== i) routes.push(`nats-route://127.0.0.1:${ports[j * 3 + 1]}`);
      const conf = join(dir, 'nats.conf');
      writeFileSync(
        conf,
        [
          `server_name: ${name}`,
          `listen: 127.0.0.1:${clientPort}`,
          `jetstream { store_dir: "${join(dir, 'js')}" }`,
          `cluster { name: kizuna, listen: 127.0.0.1:${routePort}, routes: [${routes.join(', ')}] }`,
          // Sessions and QoS 1 messages on all three nodes: a node's death loses none of them.
          `mqtt { listen: 127.0.0.1:${mqttPort}, stream_replicas: ${size}, consumer_replicas: ${size} }`,
          '',
        ].join('\n'),
      );
      nodes.push({
        name,
        clientPort,
        routePort,
        mqttPort,
        url: `mqtt://127.0.0.1:${mqttPort}`,
        conf,
        proc: undefined,
        output: '',
      });
    }
    return new NatsCluster(nodes, natsBinary(o.cache));
  }

  /** Starts `n` (again). */
  launch(n: NatsNode): void {
    n.output = '';
    const p = spawn(this.bin, ['-c', n.conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer): void => {
      n.output = (n.output + d.toString()).slice(-200_000);
    };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    n.proc = p;
  }

  /** Starts every node and waits until each one's MQTT gateway carries a message (JetStream ready). */
  async start(timeoutMs = 60_000): Promise<void> {
    for (const n of this.nodes) this.launch(n);
    for (const n of this.nodes) await waitForPort(n.mqttPort, timeoutMs, `nats ${n.name}`, () => exited(n));
    for (const n of this.nodes) await this.waitHealthy(n, timeoutMs);
  }

  /** Retries an MQTT 3.1.1 round trip on `n` until it works (the JetStream meta leader takes a moment). */
  async waitHealthy(n: NatsNode, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const dead = exited(n);
      if (dead) throw new Error(`nats ${n.name} exited: ${dead}`);
      try {
        return await mqttRoundTrip(n.url, 4, 5000);
      } catch (err) {
        last = (err as Error).message;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new Error(`nats ${n.name}: MQTT not serving after ${timeoutMs} ms (${last})\n${n.output.slice(-3000)}`);
  }

  async kill9(n: NatsNode): Promise<void> {
    const p = n.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((res) => {
      p.once('exit', () => res());
      p.kill('SIGKILL');
    });
  }

  /** [MB] resident memory of each running node, by name. */
  memoryMB(): Record<string, number | undefined> {
    return Object.fromEntries(
      this.nodes.map((n) => [n.name, n.proc?.exitCode === null ? rssMB(n.proc.pid) : undefined]),
    );
  }

  /** Stops every node (SIGTERM, SIGKILL after 10 s) and removes `removeDir`. */
  async close(removeDir?: string): Promise<void> {
    await stopAll(
      this.nodes.map((n) => n.proc),
      removeDir,
    );
  }
}

function exited(n: NatsNode): string | undefined {
  return exitedText(n.proc, n.output);
}

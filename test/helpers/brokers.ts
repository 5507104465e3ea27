/**
 * Real MQTT brokers for tests, on free loopback ports: aedes in-process (0.51, the last CommonJS
 * line: aedes 1.x is ESM-only and jest cannot load it) and the Debian `mosquitto` binary started
 * with a generated configuration. Both can be stopped and restarted on the same port for outage
 * tests. When mosquitto is not installed, `mosquittoSkipReason()` says so and its suites skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestBroker {
  readonly kind: 'aedes' | 'mosquitto';
  readonly port: number;
  /** mqtt://127.0.0.1:<port> (or the TLS URL when started with TLS). */
  readonly url: string;
  /** Takes the broker down (an outage): every connection drops, the port refuses. */
  stop(): Promise<void>;
  /** Brings it back on the same port. */
  start(): Promise<void>;
  /** Stops it for good and removes its files. */
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once 127.0.0.1:port accepts a TCP connection (polls every 20 ms, up to `timeoutMs`). */
export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---------------------------------------------------------------------------------------------

/** The aedes 0.51 broker instance (typed loosely: only what tests use). */
export interface AedesInstance {
  handle: (socket: Socket) => void;
  on(
    event: 'publish',
    cb: (
      packet: { topic: string; payload: Buffer; retain: boolean; qos: number },
      client: { id: string } | null,
    ) => void,
  ): void;
  on(event: 'client' | 'clientDisconnect', cb: (client: { id: string }) => void): void;
  close(cb?: () => void): void;
  publish(
    packet: { cmd: 'publish'; topic: string; payload: Buffer; qos: 0 | 1; retain: boolean; dup: boolean },
    cb: (err?: Error) => void,
  ): void;
}

export interface AedesBroker extends TestBroker {
  readonly kind: 'aedes';
  /** The running instance (a new one after each restart). */
  readonly aedes: AedesInstance;
  /** Calls `cb` for every message any client publishes, across restarts. */
  onPublish(cb: (topic: string, payload: Buffer, retain: boolean) => void): void;
}

/** aedes in this process on a free loopback port. */
export async function startAedes(): Promise<AedesBroker> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const createAedes = require('aedes') as (opts: { persistence: unknown }) => AedesInstance;
  // One persistence across restarts: sessions and their queued QoS 1 messages survive an outage,
  // as they do on a broker with persistence (mosquitto below).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const persistence = (require('aedes-persistence') as () => unknown)();
  const port = await freePort();
  const listeners: Array<(topic: string, payload: Buffer, retain: boolean) => void> = [];
  let instance: AedesInstance | undefined;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const broker: AedesBroker = {
    kind: 'aedes',
    port,
    url: `mqtt://127.0.0.1:${port}`,
    get aedes(): AedesInstance {
      if (!instance) throw new Error('aedes is stopped');
      return instance;
    },
    onPublish(cb) {
      listeners.push(cb);
    },
    async start() {
      if (server) return;
      const a = createAedes({ persistence });
      a.on('publish', (packet, client) => {
        if (client) for (const l of listeners) l(packet.topic, packet.payload, packet.retain);
      });
      const s = createServer((sock) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
        a.handle(sock);
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      instance = a;
      server = s;
    },
    async stop() {
      const s = server;
      const a = instance;
      server = undefined;
      instance = undefined;
      if (!s || !a) return;
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
      await new Promise<void>((resolve) => a.close(() => resolve()));
    },
    async close() {
      await broker.stop();
    },
  };
  await broker.start();
  return broker;
}

// ---------------------------------------------------------------------------------------------

let mosquittoPath: string | null | undefined;

/** Path of the mosquitto binary, or undefined when it is not installed. */
export function mosquittoBinary(): string | undefined {
  if (mosquittoPath === undefined) {
    const candidates = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'];
    const found = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).stdout.trim();
    mosquittoPath = found || candidates.find((c) => spawnSync('test', ['-x', c]).status === 0) || null;
  }
  return mosquittoPath ?? undefined;
}

/** Why mosquitto suites skip, or undefined when mosquitto is there. */
export function mosquittoSkipReason(): string | undefined {
  return mosquittoBinary()
    ? undefined
    : 'mosquitto is not installed (apt-get install -y mosquitto); the mosquitto broker suites are skipped';
}

export interface MosquittoOptions {
  /** Extra configuration lines for the listener (e.g. TLS, ACL, password_file). Paths may use `{dir}`. */
  lines?: string[];
  /** Files to write into the broker's directory first, by name. */
  files?: Record<string, string>;
  /** Default true: sessions and queued messages are saved on stop and restored on start. */
  persistent?: boolean;
  /** Default true: allow_anonymous. */
  anonymous?: boolean;
  /**
   * Queue limit per client (QoS 1 messages beyond it are dropped for that client). Default 100000;
   * `'mosquitto-default'` leaves mosquitto's own default (1000) in force.
   */
  maxQueuedMessages?: number | 'mosquitto-default';
  /** URL scheme for `url` (mqtts when the listener uses TLS). */
  scheme?: 'mqtt' | 'mqtts';
  /** Host in `url` (a name the TLS certificate carries). */
  host?: string;
  /**
   * A complete configuration instead of the generated one, with `{port}`, `{port2}` (a second free
   * port) and `{dir}` (the broker's directory) replaced.
   */
  raw?: string;
}

export interface MosquittoBroker extends TestBroker {
  readonly kind: 'mosquitto';
  readonly dir: string;
  /** The second free port (`{port2}` in a raw configuration). */
  readonly port2: number;
  /** What mosquitto wrote to stderr / stdout so far. */
  log(): string;
  /** The running process's id (undefined while stopped). */
  pid(): number | undefined;
}

/** The Debian mosquitto binary on a free loopback port with a generated configuration. */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoBroker> {
  const bin = mosquittoBinary();
  if (!bin) throw new Error(mosquittoSkipReason());
  const port = await freePort();
  let port2 = await freePort();
  while (port2 === port) port2 = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-mosquitto-'));
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), text);
  const conf = join(dir, 'mosquitto.conf');
  const generated = (): string =>
    [
      'per_listener_settings false',
      `allow_anonymous ${opts.anonymous === false ? 'false' : 'true'}`,
      `persistence ${opts.persistent === false ? 'false' : 'true'}`,
      `persistence_location ${dir}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      ...(opts.maxQueuedMessages === 'mosquitto-default'
        ? []
        : [`max_queued_messages ${opts.maxQueuedMessages ?? 100000}`]),
      `listener ${port} 127.0.0.1`,
      ...(opts.lines ?? []).map((l) => l.replaceAll('{dir}', dir)),
      '',
    ].join('\n');
  // Run as root, mosquitto would switch to the `mosquitto` user and lose access to our private directory.
  const asRoot = process.getuid?.() === 0 ? '\nuser root\n' : '';
  writeFileSync(
    conf,
    (opts.raw !== undefined
      ? opts.raw.replaceAll('{port}', String(port)).replaceAll('{port2}', String(port2)).replaceAll('{dir}', dir)
      : generated()) + asRoot,
  );
  let proc: ChildProcess | undefined;
  let output = '';
  const broker: MosquittoBroker = {
    kind: 'mosquitto',
    port,
    port2,
    dir,
    url: `${opts.scheme ?? 'mqtt'}://${opts.host ?? '127.0.0.1'}:${port}`,
    log: () => output,
    pid: () => (proc && proc.exitCode === null ? proc.pid : undefined),
    async start() {
      if (proc) return;
      const p = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      p.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      proc = p;
      const exited = new Promise<never>((_, reject) =>
        p.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}: ${output}`))),
      );
      exited.catch(() => undefined);
      await Promise.race([waitForPort(port), exited]);
    },
    async stop() {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGTERM');
      });
    },
    async close() {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}

/**
 * `kizuna sim --foxglove [HOST:PORT]`: the run's stream (sim/recording/stream.ts) served live over the
 * Foxglove WebSocket protocol (@foxglove/ws-protocol's FoxgloveServer on a `ws` server). Every
 * client gets its own bounded send queue: when a slow client's socket backs up, its oldest message
 * data is dropped (counted), control messages never are, and no client holds the sim back. The shards
 * tap only while some client is subscribed to something, so a run nobody watches runs as fast as
 * without the live view. At the end of the run every client is closed (1000, "run ended").
 */
import { FoxgloveServer, type IWebSocket } from '@foxglove/ws-protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { KizunaError } from '../../nodes/core/errors';
import type { LiveSink } from '../fleet/run';
import { SITE_TOPICS, type SimStream, type StreamMessage } from '../recording/stream';

/** The default address: loopback, Foxglove's usual port. */
export const FOXGLOVE_DEFAULT = { host: '127.0.0.1', port: 8765 } as const;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const addressSchema = z
  .string()
  .trim()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be HOST:PORT, e.g. 127.0.0.1:8765 or [::1]:8765')
  .transform((v) => {
    const i = v.lastIndexOf(':');
    return { host: v.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(v.slice(i + 1)) };
  })
  .pipe(z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65535, 'port must be 0..65535') }));

/**
 * The address of `--foxglove VALUE` (undefined: the default); KZ_ERR_CLI_USAGE when it is not
 * HOST:PORT, or when the host is not loopback and `allowRemote` (`--foxglove-remote`) was not given:
 * the stream carries where people are.
 */
export function parseFoxgloveAddress(value: string | undefined, allowRemote: boolean): { host: string; port: number } {
  if (value === undefined) return { ...FOXGLOVE_DEFAULT };
  const r = addressSchema.safeParse(value);
  if (!r.success) {
    throw new KizunaError('KZ_ERR_CLI_USAGE', `--foxglove ${r.error.issues[0]!.message}, got '${value}'`);
  }
  if (!LOOPBACK.has(r.data.host) && !allowRemote) {
    throw new KizunaError(
      'KZ_ERR_CLI_USAGE',
      `--foxglove ${value}: '${r.data.host}' is not a loopback address; the live view shows where people are, ` +
        `so serving it beyond this machine must be asked for with --foxglove-remote`,
    );
  }
  return r.data;
}

export interface FoxgloveLiveOptions {
  host: string;
  /** 0: a free port (see `port` once started). */
  port: number;
  /** Message data frames queued per client before the oldest is dropped. Default 2000. */
  queueMessages?: number;
  /** [bytes] queued per client before the oldest message data is dropped. Default 32 MiB. */
  queueBytes?: number;
  /** Shown to clients (serverInfo). */
  name?: string;
}

/** [bytes] a socket may hold unsent before its queue stops feeding it. */
const SOCKET_HIGH_WATER = 1024 * 1024;

type Frame = string | Uint8Array;
const size = (f: Frame): number => (typeof f === 'string' ? f.length : f.byteLength);

/**
 * A client's connection as FoxgloveServer sees it: `send` queues (one argument, so that the server
 * hands over each message as one frame), and the queue feeds the socket as it drains.
 */
class QueuedSocket implements IWebSocket {
  binaryType = 'arraybuffer';
  onerror: ((event: unknown) => void) | null | undefined;
  onopen: ((event: unknown) => void) | null | undefined;
  onclose: ((event: unknown) => void) | null | undefined;
  onmessage: ((event: unknown) => void) | null | undefined;
  private queue: Frame[] = [];
  private bytes = 0;
  private waiting = false;
  dropped = 0;

  constructor(
    readonly ws: WebSocket,
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) =>
      this.onmessage?.({ data: isBinary ? data : data.toString() }),
    );
    ws.on('close', (code: number, reason: Buffer) => {
      this.queue = [];
      this.onclose?.({ code, reason: reason.toString(), wasClean: true });
    });
    ws.on('error', (err: Error) => this.onerror?.(err));
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  close(): void {
    this.ws.close();
  }

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const f: Frame =
      typeof data === 'string'
        ? data
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.queue.push(f);
    this.bytes += size(f);
    // Drop the oldest message data (binary) until within bounds; control messages (JSON) stay.
    while (this.queue.length > this.maxMessages || this.bytes > this.maxBytes) {
      const i = this.queue.findIndex((x) => typeof x !== 'string');
      if (i < 0) break;
      this.bytes -= size(this.queue[i]!);
      this.queue.splice(i, 1);
      this.dropped++;
    }
    this.pump();
  }

  /** Frames waiting. */
  get depth(): number {
    return this.queue.length;
  }

  /** Feeds the socket until it holds SOCKET_HIGH_WATER unsent; then again a little later. */
  private pump(): void {
    if (this.waiting) return;
    while (this.queue.length > 0 && this.ws.readyState === this.ws.OPEN) {
      if (this.ws.bufferedAmount >= SOCKET_HIGH_WATER) {
        this.waiting = true;
        setTimeout(() => {
          this.waiting = false;
          this.pump();
        }, 5).unref();
        return;
      }
      const f = this.queue.shift()!;
      this.bytes -= size(f);
      this.ws.send(f);
    }
  }
}

/** The live view: a Foxglove WebSocket server with one channel per topic of the run's stream. */
export class FoxgloveLive implements LiveSink {
  private readonly sockets = new Set<QueuedSocket>();
  private readonly subscribed = new Set<number>();
  private closedDrops = 0;
  private closing = false;

  private constructor(
    private readonly wss: WebSocketServer,
    private readonly server: FoxgloveServer,
    private readonly ids: number[],
    private readonly clockChannel: number,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Starts listening; KZ_ERR_SIM_FOXGLOVE when the address cannot be bound. */
  static async start(stream: SimStream, o: FoxgloveLiveOptions): Promise<FoxgloveLive> {
    const server = new FoxgloveServer({
      name: o.name ?? 'kizuna sim',
      capabilities: ['time'],
      metadata: { source: 'kizuna sim' },
    });
    const ids = stream.channels.map((c) =>
      server.addChannel({
        topic: c.topic,
        encoding: c.schema.encoding === 'ros2msg' ? 'cdr' : 'json',
        schemaName: c.schema.name,
        schema: c.schema.text,
        schemaEncoding: c.schema.encoding,
      }),
    );
    const wss = new WebSocketServer({
      host: o.host,
      port: o.port,
      handleProtocols: (protocols) => server.handleProtocols(protocols),
      perMessageDeflate: false,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        wss.once('listening', resolve);
        wss.once('error', reject);
      });
    } catch (err) {
      wss.close();
      throw new KizunaError(
        'KZ_ERR_SIM_FOXGLOVE',
        `the Foxglove live view cannot listen on ${o.host}:${o.port}: ${(err as Error).message}`,
        { entity: `${o.host}:${o.port}`, cause: err },
      );
    }
    const addr = wss.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
    const live = new FoxgloveLive(wss, server, ids, ids[stream.channelOf(SITE_TOPICS.clock)!]!, o.host, port);
    wss.on('connection', (ws, req) => live.accept(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`, o));
    server.on('subscribe', (id) => live.subscribed.add(id));
    server.on('unsubscribe', (id) => live.subscribed.delete(id));
    // A client error (a malformed request) is the client's problem; the server goes on.
    server.on('error', () => undefined);
    return live;
  }

  /** ws://host:port of the server. */
  get url(): string {
    return `ws://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** True when some client is subscribed to some channel. */
  get watched(): boolean {
    return this.subscribed.size > 0;
  }

  /** Connected clients. */
  get clients(): number {
    return this.sockets.size;
  }

  /** Message data frames dropped from slow clients' queues, over all clients so far. */
  get dropped(): number {
    let n = this.closedDrops;
    for (const s of this.sockets) n += s.dropped;
    return n;
  }

  private accept(ws: WebSocket, name: string, o: FoxgloveLiveOptions): void {
    if (this.closing) {
      ws.close(1001, 'kizuna sim: run ended');
      return;
    }
    const s = new QueuedSocket(ws, o.queueMessages ?? 2000, o.queueBytes ?? 32 * 1024 * 1024);
    this.sockets.add(s);
    ws.on('close', () => {
      this.sockets.delete(s);
      this.closedDrops += s.dropped;
    });
    this.server.handleConnection(s, name);
  }

  async write(msgs: readonly StreamMessage[]): Promise<void> {
    if (this.sockets.size === 0) return;
    let last: bigint | undefined;
    for (const m of msgs) {
      const id = this.ids[m.channel]!;
      if (id === this.clockChannel) last = m.timeNs;
      if (this.subscribed.has(id)) this.server.sendMessage(id, m.timeNs, m.data);
    }
    if (last !== undefined) this.server.broadcastTime(last);
    return Promise.resolve();
  }

  /** Closes every client (1000, "run ended") and stops listening. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const gone = [...this.sockets].map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.ws.readyState === s.ws.CLOSED) return resolve();
          s.ws.once('close', () => resolve());
          s.ws.close(1000, 'kizuna sim: run ended');
          // A client that does not answer the close handshake is cut.
          setTimeout(() => {
            s.ws.terminate();
            resolve();
          }, 2000).unref();
        }),
    );
    await Promise.all(gone);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  abort(): Promise<void> {
    return this.close();
  }
}

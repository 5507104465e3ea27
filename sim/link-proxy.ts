/**
 * A loopback TCP proxy between one robot and the broker: the robot's "Wi-Fi". Cutting it drops that
 * robot's connection and refuses new ones while the other robots (each behind its own proxy) stay
 * connected; restoring it lets the robot reconnect. It works the same with the embedded broker and
 * an external one, counts the bytes each way (the robot's traffic on the wire), and records every
 * outage. Listens on 127.0.0.1 only.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** One period during which the link was cut. */
export interface LinkOutage {
  /** [ms] wall clock (Date.now) when it was cut. */
  fromMs: number;
  /** [ms] when it was restored; undefined while still cut. */
  toMs?: number;
}

/** A per-robot loopback proxy. Create with {@link LinkProxy.start}. */
export class LinkProxy {
  /** [bytes] robot → broker. */
  bytesUp = 0;
  /** [bytes] broker → robot. */
  bytesDown = 0;
  /** Connections accepted from the robot (each reconnect is one). */
  connections = 0;
  readonly outages: LinkOutage[] = [];
  private cutFlag = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  /** A proxy on a free 127.0.0.1 port forwarding to `targetHost:targetPort`. */
  static async start(targetHost: string, targetPort: number): Promise<LinkProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as { port: number }).port;
    const proxy = new LinkProxy(server, port, targetHost, targetPort);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** [count] connections open through the proxy (each robot connection is two sockets). */
  get openConnections(): number {
    return this.sockets.size / 2;
  }

  /** Resolves once no connection is open (every byte the robot sent or was sent has been counted). */
  async idle(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.sockets.size === 0;
  }

  /** True while the link is up (not cut). */
  get up(): boolean {
    return !this.cutFlag;
  }

  /** `mqtt://127.0.0.1:<port>`: the URL the robot's bridge connects to. */
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  private accept(client: Socket): void {
    if (this.cutFlag) {
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = connect(this.targetPort, this.targetHost);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('data', (d: Buffer) => {
      this.bytesUp += d.length;
      if (!upstream.write(d)) client.pause();
    });
    upstream.on('data', (d: Buffer) => {
      this.bytesDown += d.length;
      if (!client.write(d)) upstream.pause();
    });
    upstream.on('drain', () => client.resume());
    client.on('drain', () => upstream.resume());
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
  }

  /** Cuts the link: open connections drop at once, new ones are refused until {@link restore}. */
  cut(nowMs = Date.now()): void {
    if (this.cutFlag) return;
    this.cutFlag = true;
    this.outages.push({ fromMs: nowMs });
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Restores the link: the robot may connect again. */
  restore(nowMs = Date.now()): void {
    if (!this.cutFlag) return;
    this.cutFlag = false;
    const last = this.outages[this.outages.length - 1];
    if (last && last.toMs === undefined) last.toMs = nowMs;
  }

  /** [ms] the longest outage so far (an open one counts up to `nowMs`). */
  longestOutageMs(nowMs = Date.now()): number {
    let best = 0;
    for (const o of this.outages) best = Math.max(best, (o.toMs ?? nowMs) - o.fromMs);
    return best;
  }

  /** Closes the proxy and every connection through it. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * One robot's link to a broker cluster: a {@link LinkProxy} per broker node, cut and restored together
 * (the robot's Wi-Fi is one link whichever node it talks to). The bridge gets every proxy's URL as its
 * failover list.
 */
export class LinkProxies {
  private constructor(readonly proxies: readonly LinkProxy[]) {}

  /** One proxy per `targets` entry, in that order. */
  static async start(targets: ReadonlyArray<{ host: string; port: number }>): Promise<LinkProxies> {
    const proxies: LinkProxy[] = [];
    for (const t of targets) proxies.push(await LinkProxy.start(t.host, t.port));
    return new LinkProxies(proxies);
  }

  /** The proxies' URLs, comma-separated: cloud_bridge's broker_url. */
  get url(): string {
    return this.proxies.map((p) => p.url).join(',');
  }

  /** Index of the broker node behind proxy URL `url` (-1 if none). */
  indexOf(url: string): number {
    return this.proxies.findIndex((p) => p.url === url);
  }

  get bytesUp(): number {
    return this.proxies.reduce((a, p) => a + p.bytesUp, 0);
  }

  get bytesDown(): number {
    return this.proxies.reduce((a, p) => a + p.bytesDown, 0);
  }

  /** True while the link is up (not cut). */
  get up(): boolean {
    return this.proxies.every((p) => p.up);
  }

  /** Waits until no connection is open through any proxy (at most `timeoutMs`); true when idle. */
  async idle(timeoutMs = 5000): Promise<boolean> {
    const done = await Promise.all(this.proxies.map((p) => p.idle(timeoutMs)));
    return done.every(Boolean);
  }

  cut(nowMs = Date.now()): void {
    for (const p of this.proxies) p.cut(nowMs);
  }

  restore(nowMs = Date.now()): void {
    for (const p of this.proxies) p.restore(nowMs);
  }

  async close(): Promise<void> {
    await Promise.all(this.proxies.map((p) => p.close()));
  }
}

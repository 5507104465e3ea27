/**
 * The embedded broker of `kizuna sim`: aedes in this process on a free 127.0.0.1 port, so a fresh
 * machine with no broker installed runs the fleet. It can go down and come back on the same port (the
 * broker_down / broker_up faults); sessions and queued QoS 1 messages live in one persistence across
 * restarts, as on a broker with persistence. aedes 0.51 speaks MQTT 3.1.1 (protocol level 4).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { KizunaError } from '../../nodes/core/errors';

interface AedesInstance {
  handle: (socket: Socket) => void;
  close(cb?: () => void): void;
}

/** An aedes broker on 127.0.0.1 that can be stopped and started again on the same port. */
export class EmbeddedBroker {
  private instance: AedesInstance | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly persistence: unknown;
  private portNo = 0;

  private constructor() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.persistence = (require('aedes-persistence') as () => unknown)();
  }

  /** Starts aedes on a free loopback port. */
  static async start(): Promise<EmbeddedBroker> {
    const b = new EmbeddedBroker();
    await b.up();
    return b;
  }

  get port(): number {
    return this.portNo;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.portNo}`;
  }

  /** True while it accepts connections. */
  get running(): boolean {
    return this.server !== undefined;
  }

  /** Starts it (again, on the same port once it had one). */
  async up(): Promise<void> {
    if (this.server) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const createAedes = require('aedes') as (opts: { persistence: unknown }) => AedesInstance;
    const a = createAedes({ persistence: this.persistence });
    const s = createServer((sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
      sock.on('error', () => sock.destroy());
      a.handle(sock);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(this.portNo, '127.0.0.1', () => resolve());
      });
    } catch (err) {
      a.close();
      throw new KizunaError(
        'KZ_ERR_SIM_BROKER',
        `the embedded broker cannot listen on 127.0.0.1:${this.portNo}: ${(err as Error).message}`,
        { entity: 'aedes' },
        { cause: err },
      );
    }
    this.portNo = (s.address() as { port: number }).port;
    this.instance = a;
    this.server = s;
  }

  /** Takes it down: every connection drops and the port refuses until {@link up}. */
  async down(): Promise<void> {
    const s = this.server;
    const a = this.instance;
    this.server = undefined;
    this.instance = undefined;
    if (!s || !a) return;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    await new Promise<void>((resolve) => a.close(() => resolve()));
  }

  /** Stops it for good. */
  async close(): Promise<void> {
    await this.down();
  }
}

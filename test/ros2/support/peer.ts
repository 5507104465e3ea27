/**
 * Drives test/ros2/support/peer.py, an rclpy process, from jest: `request()` sends one command and resolves
 * with its answer; `events` collects what the peer saw (messages, rmw QoS/type events), `waitForEvent()`
 * polls them. The process inherits this process's ROS 2 environment and network namespace (the test
 * sandbox), so it shares the random ROS_DOMAIN_ID of the run.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface PeerEvent {
  event: string;
  topic?: string;
  side?: 'publisher' | 'subscription';
  policy?: string;
  total_count?: number;
  data?: Record<string, unknown>;
}

type Answer = { id: number; ok: boolean; error?: string; trace?: string } & Record<string, unknown>;

/** JSON with integers beyond 2^53 as {"$int": "..."} (the peer's convention) and bigints allowed. */
export function encode(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'bigint' ? { $int: v.toString() } : ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v,
  );
}

/** Parses peer JSON, turning {"$int": "..."} back into bigints. */
export function decode(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === '$int' && typeof o.$int === 'string') return BigInt(o.$int);
    }
    return v;
  });
}

export class RclpyPeer {
  readonly events: PeerEvent[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stderr = '';
  private exited: string | undefined;

  private constructor(name: string) {
    this.child = spawn('python3', [join(__dirname, 'peer.py'), name], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `rclpy peer exited (code ${code}, signal ${signal}); stderr: ${this.stderr}`;
      for (const p of this.pending.values()) p.reject(new Error(this.exited));
      this.pending.clear();
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = decode(line) as Record<string, unknown>;
      } catch {
        this.stderr += `\n[unparsed stdout] ${line}`;
        return;
      }
      if (typeof msg.id === 'number') {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        p?.resolve(msg as Answer);
      } else {
        this.events.push(msg as unknown as PeerEvent);
      }
    });
  }

  /** Starts a peer node named `name` and waits until rclpy is up. */
  static async start(name: string, timeoutMs = 15000): Promise<RclpyPeer> {
    const peer = new RclpyPeer(name);
    if (!(await peer.waitForEvent((e) => e.event === 'ready', timeoutMs))) {
      const why = peer.exited ?? `no ready line within ${timeoutMs} ms; stderr: ${peer.stderr}`;
      peer.child.kill('SIGKILL');
      throw new Error(`rclpy peer did not start: ${why}`);
    }
    return peer;
  }

  /** Sends `op` with `args`; resolves with the peer's answer, rejects with its error. */
  async request<T extends Record<string, unknown> = Record<string, unknown>>(
    op: string,
    args: Record<string, unknown> = {},
  ): Promise<T> {
    if (this.exited) throw new Error(this.exited);
    const id = this.nextId++;
    const answer = await new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${encode({ id, op, ...args })}\n`);
    });
    if (!answer.ok) throw new Error(`rclpy peer ${op} failed: ${answer.error}\n${answer.trace ?? ''}`);
    return answer as unknown as T;
  }

  /** Polls the events until one satisfies `match` or `timeoutMs` passes; resolves the event or undefined. */
  async waitForEvent(match: (e: PeerEvent) => boolean, timeoutMs = 5000): Promise<PeerEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found || Date.now() > deadline || this.exited) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Messages the peer received on `topic`, in order. */
  messages(topic: string): Array<Record<string, unknown>> {
    return this.events.filter((e) => e.event === 'message' && e.topic === topic).map((e) => e.data ?? {});
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    // Ask politely, close stdin (the peer exits at end of input too), and kill it if it lingers.
    this.request('exit').catch(() => undefined);
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }
}

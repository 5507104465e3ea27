/**
 * Sharding a simulation across worker threads, so a many-core (or just a 2-core) machine runs robots in
 * parallel. An InProcessGraph holds no process-global state (its executor, clocks, timers, topics and
 * services belong to it; the compiled message codecs are immutable), so each worker thread builds its own
 * graph for its share of the robots. Each robot lives wholly in one shard: its nodes talk in-process, as
 * the nodes of one robot do on one computer; robots do not talk to each other through the graph.
 *
 * The main thread drives the shards with commands ({@link ShardPool.all}) — for a manual clock, "advance
 * by dt" in lockstep; for the wall clock, "run" and "report". A shard module calls {@link serveShard} with
 * its command handlers.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { KizunaError } from '../../errors';

/** Splits `items` into `count` contiguous shards of near-equal size; each item lands in exactly one. */
export function planShards<T>(items: ReadonlyArray<T>, count: number): T[][] {
  if (!Number.isInteger(count) || count < 1) {
    throw new KizunaError('KZ_ERR_PARAM_INVALID', `shard count must be an integer >= 1, got ${count}`);
  }
  const out: T[][] = [];
  const base = Math.floor(items.length / count);
  let extra = items.length % count;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const n = base + (extra-- > 0 ? 1 : 0);
    out.push(items.slice(at, at + n));
    at += n;
  }
  return out;
}

type Handler = (arg: unknown) => unknown;

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

/** In a shard's worker thread: answers the main thread's commands with `handlers`. Returns the shard's init data. */
export function serveShard(handlers: Record<string, Handler>): unknown {
  if (isMainThread || !parentPort) {
    throw new Error('serveShard() runs inside a shard worker thread only');
  }
  const port = parentPort;
  port.on('message', (msg: { id: number; cmd: string; arg: unknown }) => {
    const handler = handlers[msg.cmd];
    const reply = (r: Reply): void => port.postMessage(r);
    if (!handler) {
      reply({ id: msg.id, ok: false, error: `unknown shard command '${msg.cmd}'` });
      return;
    }
    Promise.resolve()
      .then(() => handler(msg.arg))
      .then(
        (value) => reply({ id: msg.id, ok: true, value }),
        (err: unknown) => reply({ id: msg.id, ok: false, error: (err as Error)?.stack ?? String(err) }),
      );
  });
  return (workerData as { init?: unknown } | undefined)?.init;
}

/** Worker threads, one per shard, each running `module` (which calls serveShard). */
export class ShardPool {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (r: Reply) => {
        const p = this.waiting.get(r.id);
        if (!p) return;
        this.waiting.delete(r.id);
        if (r.ok) p.resolve(r.value);
        else p.reject(new Error(`shard failed: ${r.error}`));
      });
      w.on('error', (err) => {
        for (const p of this.waiting.values()) p.reject(err);
        this.waiting.clear();
      });
      // A shard that exits (process.exit in its code, or terminate) answers nothing more.
      w.on('exit', (code) => {
        for (const p of this.waiting.values()) p.reject(new Error(`shard worker exited (code ${code})`));
        this.waiting.clear();
      });
    }
  }

  /**
   * Starts one worker per entry of `inits`, each loading `modulePath` with its init data (read in the
   * worker as serveShard's return value). A `.ts` module is loaded through tsx (development and benchmarks).
   */
  static start(modulePath: string, inits: ReadonlyArray<unknown>): ShardPool {
    const workers = inits.map((init) => {
      if (modulePath.endsWith('.ts')) {
        const tsx = require.resolve('tsx/cjs/api');
        const boot = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(modulePath)});`;
        return new Worker(boot, { eval: true, workerData: { init } });
      }
      return new Worker(modulePath, { workerData: { init } });
    });
    return new ShardPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Sends `cmd` to shard `i`; resolves with its handler's result. */
  send(i: number, cmd: string, arg?: unknown): Promise<unknown> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.workers[i]!.postMessage({ id, cmd, arg });
    });
  }

  /** Sends `cmd` to every shard at once; resolves with their results in shard order. */
  all(cmd: string, arg?: unknown): Promise<unknown[]> {
    return Promise.all(this.workers.map((_, i) => this.send(i, cmd, arg)));
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

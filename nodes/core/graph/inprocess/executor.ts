/**
 * The in-process graph's executor, fair the way rclcpp's executors are: each turn takes at most one item
 * from every ready entity (a subscription delivers one message, a timer fires once, a service answers one
 * request), in the order the entities became ready, and an entity that still has work goes to the back
 * for the next turn. So a flooded keep_all subscription cannot hold back a watchdog timer or an e-stop
 * topic: they run within one turn of becoming ready. Each turn runs on its own turn of the Node.js event
 * loop (setImmediate), never inside the call that made an entity ready, so wall-clock timers and I/O
 * interleave with a backlog too.
 */

/** An entity the executor runs: one unit of work per turn. */
export interface Runnable {
  /** Runs one unit of work (one message, one tick, one task); returns true when more is waiting. */
  runOne(): boolean;
  /** True while the entity sits in the ready queue; owned by the executor. */
  queued: boolean;
}

/** A FIFO ring buffer: push and shift in O(1), grows by doubling. */
export class Ring<T> {
  private buf: Array<T | undefined>;
  private head = 0;
  private size = 0;

  constructor(capacity = 8) {
    this.buf = new Array<T | undefined>(Math.max(2, capacity));
  }

  get length(): number {
    return this.size;
  }

  push(v: T): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) % this.buf.length] = v;
    this.size++;
  }

  /** Removes and returns the oldest item (undefined when empty). */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.buf.length;
    this.size--;
    return v;
  }

  /** The oldest item without removing it. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.buf[this.head];
  }

  clear(): void {
    this.buf = new Array<T | undefined>(8);
    this.head = 0;
    this.size = 0;
  }

  /** Items oldest first (a copy). */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.buf[(this.head + i) % this.buf.length] as T);
    return out;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.buf.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) % this.buf.length];
    this.buf = next;
    this.head = 0;
  }
}

/** A one-shot task wrapped as a Runnable (service requests, events: not the per-message hot path). */
class OneShot implements Runnable {
  queued = false;
  constructor(private readonly task: () => void) {}
  runOne(): boolean {
    this.task();
    return false;
  }
}

export class Executor {
  /** @param onUncaught receives what a task threw; tasks wrap user code themselves, so this is a safety net. */
  constructor(private readonly onUncaught: (err: unknown) => void = () => undefined) {}

  private readonly ready = new Ring<Runnable>(64);
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  private readonly turnFn = (): void => this.turn();
  /** Turns run so far (for tests and benchmarks). */
  turns = 0;

  /** Marks `entity` ready: it runs one unit per turn until its `runOne` returns false. */
  wake(entity: Runnable): void {
    if (this.stopped || entity.queued) return;
    entity.queued = true;
    this.ready.push(entity);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.turnFn);
    }
  }

  /** Queues a one-shot `task` to run on a later turn. */
  enqueue(task: () => void): void {
    this.wake(new OneShot(task));
  }

  private turn(): void {
    this.scheduled = false;
    if (this.stopped) return;
    this.turns++;
    // Only what was ready when the turn began: an entity made ready (or re-queued) during the turn runs
    // in the next one, after every other ready entity had its item.
    for (let n = this.ready.length; n > 0; n--) {
      const entity = this.ready.shift()!;
      entity.queued = false;
      let more = false;
      try {
        more = entity.runOne();
      } catch (err) {
        this.onUncaught(err);
      }
      if (this.stopped) return;
      if (more) this.wake(entity);
    }
    if (this.ready.length > 0) {
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.turnFn);
      }
    } else {
      const waiters = this.idleWaiters;
      if (waiters.length > 0) {
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  /** True when nothing is ready. */
  isIdle(): boolean {
    return this.ready.length === 0;
  }

  /** Resolves once nothing is ready (after everything ready so far, and what it made ready, has run). */
  idle(): Promise<void> {
    if (this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops ready work and refuses more. */
  stop(): void {
    this.stopped = true;
    while (this.ready.length > 0) this.ready.shift()!.queued = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

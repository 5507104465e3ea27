/**
 * The in-process graph's single-threaded executor: callbacks (message delivery, timers, service and
 * action handlers) run from a FIFO queue on a later turn of the event loop, never inside the call that
 * caused them, which is how an rclcpp/rclnodejs executor behaves for callbacks in one process.
 */
export type Task = () => void;

export class Executor {
  /** @param onUncaught receives what a task threw; tasks wrap user code themselves, so this is a safety net. */
  constructor(private readonly onUncaught: (err: unknown) => void = () => undefined) {}

  private queue: Task[] = [];
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  /** Queues `task` to run on a later turn of the event loop. */
  enqueue(task: Task): void {
    if (this.stopped) return;
    this.queue.push(task);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    // Run what is queued now; tasks queued while draining wait for the next turn, so a callback that
    // publishes cannot starve timers or I/O.
    const batch = this.queue;
    this.queue = [];
    for (const task of batch) {
      if (this.stopped) return;
      try {
        task();
      } catch (err) {
        // One failing task must not drop the rest of the batch (their deliveries would be lost).
        this.onUncaught(err);
      }
    }
    if (this.queue.length > 0) this.schedule();
    else {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves once the queue is empty (after everything queued so far, and what it queued, has run). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops queued work and refuses more. */
  stop(): void {
    this.stopped = true;
    this.queue = [];
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

/**
 * Requests of one node still waiting for an answer (service calls, goals, results, cancels), on either
 * graph. Destroying the node rejects every one of them with KZ_ERR_GRAPH_SHUTDOWN, and later ones at
 * once: nothing a dead node asked for stays pending forever or resolves as if it had succeeded.
 */
import { KizunaError } from '../errors';

export class PendingCalls {
  private readonly waiting = new Map<(err: KizunaError) => void, string>();
  private closed = false;

  constructor(private readonly node: string) {}

  /** True once the owning node is destroyed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `start` (unless closed) and settles as it does, or with KZ_ERR_GRAPH_SHUTDOWN on `close`. */
  track<R>(entity: string, start: () => Promise<R>): Promise<R> {
    if (this.closed) return Promise.reject(this.shutdownError(entity));
    return new Promise<R>((resolve, reject) => {
      const running = start(); // a throw here rejects (the Promise constructor catches it)
      this.waiting.set(reject, entity);
      void running.then(resolve, reject).finally(() => this.waiting.delete(reject));
    });
  }

  close(): void {
    this.closed = true;
    for (const [reject, entity] of this.waiting) reject(this.shutdownError(entity));
    this.waiting.clear();
  }

  private shutdownError(entity: string): KizunaError {
    return new KizunaError('KZ_ERR_GRAPH_SHUTDOWN', `node '${this.node}' is destroyed`, { node: this.node, entity });
  }
}

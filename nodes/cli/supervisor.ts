/**
 * Supervises the processes of one robot's stack for `kizuna launch`: starts them in order, restarts a
 * process that exits (exponential backoff, at most `maxRestarts` within `windowSec`), stops everything
 * when a critical process (the safety gate) exits or a process exhausts its restarts, and stops cleanly:
 * SIGINT to each, SIGKILL after `stopTimeoutSec`.
 *
 * Pure of I/O: processes come from an injected `spawn`, time from injected timers and `now`, so the
 * restart logic is tested with ordinary child processes or fakes. `spawnChild` is the real adapter.
 */
import { spawn as spawnProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How a process is restarted after it exits. */
export interface RestartPolicy {
  /** Restarts allowed within `windowSec`; one more exit gives up (the stack stops). 0: never restart. */
  maxRestarts: number;
  /** [s] sliding window the restarts are counted in. */
  windowSec: number;
  /** [s] delay before the first restart; doubles per restart within the window. */
  backoffInitialSec: number;
  /** [s] longest delay. */
  backoffMaxSec: number;
}

/** One process of the stack. */
export interface ProcessSpec {
  /** Short name, the log prefix (`[safety_gate]`). */
  name: string;
  command: string;
  args: string[];
  /** true: its exit stops the whole stack, never restarted (the safety gate). */
  critical: boolean;
  restart: RestartPolicy;
}

/** What `spawn` returns: a running process. */
export interface ChildHandle {
  readonly pid: number | undefined;
  kill(signal: NodeJS.Signals): void;
  /** Called once when it exits, with its exit code or the signal that ended it. */
  onExit(cb: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  /** Called per line it writes (stdout and stderr). */
  onLine(cb: (line: string, stream: 'stdout' | 'stderr') => void): void;
}

export type SpawnFn = (spec: ProcessSpec) => ChildHandle;

/** Everything the supervisor does, for the caller to print. */
export type SupervisorEvent =
  | { type: 'started'; name: string; pid: number | undefined; attempt: number }
  | { type: 'line'; name: string; line: string; stream: 'stdout' | 'stderr' }
  | { type: 'exited'; name: string; code: number | null; signal: NodeJS.Signals | null; expected: boolean }
  | { type: 'restart-scheduled'; name: string; delaySec: number; restartsInWindow: number }
  | { type: 'gave-up'; name: string; restartsInWindow: number }
  | { type: 'critical-exited'; name: string }
  | { type: 'stopping'; reason: string }
  | { type: 'killed'; name: string }
  | { type: 'stopped'; reason: string; failed: boolean };

export interface Timers {
  setTimeout(cb: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SupervisorOptions {
  spawn: SpawnFn;
  onEvent?: (e: SupervisorEvent) => void;
  /** [s] after SIGINT, wait this long before SIGKILL. Default 10. */
  stopTimeoutSec?: number;
  timers?: Timers;
  /** [ms] current time. Default Date.now. */
  now?: () => number;
}

/** How the stack ended: `failed` when a critical process exited or one gave up restarting. */
export interface StopResult {
  reason: string;
  failed: boolean;
}

interface Slot {
  spec: ProcessSpec;
  child?: ChildHandle;
  running: boolean;
  attempt: number;
  /** [ms] times of restarts within the window. */
  restarts: number[];
  pendingRestart?: unknown;
}

const realTimers: Timers = {
  setTimeout: (cb, ms) => setTimeout(cb, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The restart delay [s] after `restartsInWindow` earlier restarts: initial · 2^n, at most the maximum. */
export function backoffDelaySec(policy: RestartPolicy, restartsInWindow: number): number {
  return Math.min(policy.backoffMaxSec, policy.backoffInitialSec * 2 ** restartsInWindow);
}

export class Supervisor {
  private readonly slots: Slot[];
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly stopTimeoutMs: number;
  private stopping: StopResult | undefined;
  private killTimer: unknown;
  private resolveDone!: (r: StopResult) => void;
  /** Resolves once every process has exited after a stop (asked for, or forced by a failure). */
  readonly done: Promise<StopResult>;

  constructor(
    specs: ReadonlyArray<ProcessSpec>,
    private readonly options: SupervisorOptions,
  ) {
    this.slots = specs.map((spec) => ({ spec, running: false, attempt: 0, restarts: [] }));
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? Date.now;
    this.stopTimeoutMs = (options.stopTimeoutSec ?? 10) * 1000;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Starts every process, in the order given. */
  start(): void {
    for (const slot of this.slots) this.launch(slot);
  }

  /** Stops everything: SIGINT now, SIGKILL to what is left after the stop timeout. Resolves like `done`. */
  stop(reason = 'asked to stop', failed = false): Promise<StopResult> {
    if (this.stopping) return this.done;
    this.stopping = { reason, failed };
    this.emit({ type: 'stopping', reason });
    for (const slot of this.slots) {
      if (slot.pendingRestart !== undefined) this.timers.clearTimeout(slot.pendingRestart);
      slot.pendingRestart = undefined;
      if (slot.running) slot.child?.kill('SIGINT');
    }
    this.killTimer = this.timers.setTimeout(() => {
      for (const slot of this.slots) {
        if (slot.running) {
          this.emit({ type: 'killed', name: slot.spec.name });
          slot.child?.kill('SIGKILL');
        }
      }
    }, this.stopTimeoutMs);
    this.finishIfAllExited();
    return this.done;
  }

  /** Names of the processes running now. */
  running(): string[] {
    return this.slots.filter((s) => s.running).map((s) => s.spec.name);
  }

  private emit(e: SupervisorEvent): void {
    this.options.onEvent?.(e);
  }

  private launch(slot: Slot): void {
    slot.pendingRestart = undefined;
    slot.attempt += 1;
    const child = this.options.spawn(slot.spec);
    slot.child = child;
    slot.running = true;
    this.emit({ type: 'started', name: slot.spec.name, pid: child.pid, attempt: slot.attempt });
    child.onLine((line, stream) => this.emit({ type: 'line', name: slot.spec.name, line, stream }));
    child.onExit((code, signal) => this.exited(slot, child, code, signal));
  }

  private exited(slot: Slot, child: ChildHandle, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.child !== child) return;
    slot.running = false;
    this.emit({ type: 'exited', name: slot.spec.name, code, signal, expected: this.stopping !== undefined });
    if (this.stopping) {
      this.finishIfAllExited();
      return;
    }
    if (slot.spec.critical) {
      this.emit({ type: 'critical-exited', name: slot.spec.name });
      void this.stop(`${slot.spec.name} exited (${describeExit(code, signal)}); the stack stops without it`, true);
      return;
    }
    const policy = slot.spec.restart;
    const since = this.now() - policy.windowSec * 1000;
    slot.restarts = slot.restarts.filter((t) => t > since);
    if (slot.restarts.length >= policy.maxRestarts) {
      this.emit({ type: 'gave-up', name: slot.spec.name, restartsInWindow: slot.restarts.length });
      void this.stop(
        `${slot.spec.name} exited (${describeExit(code, signal)}) after ${slot.restarts.length} restart(s) within ${policy.windowSec} s`,
        true,
      );
      return;
    }
    const delaySec = backoffDelaySec(policy, slot.restarts.length);
    slot.restarts.push(this.now());
    this.emit({ type: 'restart-scheduled', name: slot.spec.name, delaySec, restartsInWindow: slot.restarts.length });
    slot.pendingRestart = this.timers.setTimeout(() => {
      if (!this.stopping) this.launch(slot);
    }, delaySec * 1000);
  }

  private finishIfAllExited(): void {
    if (!this.stopping || this.slots.some((s) => s.running)) return;
    if (this.killTimer !== undefined) this.timers.clearTimeout(this.killTimer);
    this.killTimer = undefined;
    this.emit({ type: 'stopped', ...this.stopping });
    this.resolveDone(this.stopping);
  }
}

/** "exit code 3" or "signal SIGKILL". */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`;
}

/**
 * The real `spawn`: a child process in its own process group (so a terminal's Ctrl-C reaches only the
 * supervisor, which then sends each child exactly one SIGINT), its output split into lines.
 */
export function spawnChild(env: NodeJS.ProcessEnv = process.env): SpawnFn {
  return (spec) => {
    const child = spawnProcess(spec.command, spec.args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const lineListeners: Array<(line: string, stream: 'stdout' | 'stderr') => void> = [];
    const exitListeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];
    let exitInfo: [number | null, NodeJS.Signals | null] | undefined;
    let openStreams = 2;
    const maybeExit = (): void => {
      // report the exit only after its last output lines
      if (exitInfo && openStreams === 0) for (const l of exitListeners.splice(0)) l(...exitInfo);
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      const src = child[stream];
      const rl = createInterface({ input: src });
      rl.on('line', (line) => {
        for (const l of lineListeners) l(line, stream);
      });
      rl.on('close', () => {
        openStreams -= 1;
        maybeExit();
      });
    }
    child.on('error', (err) => {
      // spawn failure (command not found): reported as an exit with code 127, like a shell
      for (const l of lineListeners) l(`cannot start '${spec.command}': ${err.message}`, 'stderr');
      if (!exitInfo) {
        exitInfo = [127, null];
        openStreams = 0;
        maybeExit();
      }
    });
    child.on('exit', (code, signal) => {
      exitInfo ??= [code, signal];
      maybeExit();
    });
    return {
      get pid() {
        return child.pid;
      },
      kill(signal) {
        if (child.exitCode !== null || child.signalCode !== null) return;
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
      },
      onExit(cb) {
        exitListeners.push(cb);
        maybeExit();
      },
      onLine(cb) {
        lineListeners.push(cb);
      },
    };
  };
}

/**
 * The supervisor behind `kizuna launch`: restart policy, backoff, the critical process, clean stop and
 * SIGKILL after the stop timeout. First with ordinary child processes (node -e scripts) through the real
 * spawn adapter, then the policy arithmetic with a fake spawn and a manual clock.
 */
import { describe, it, expect } from '@jest/globals';
import {
  Supervisor,
  backoffDelaySec,
  spawnChild,
  type ChildHandle,
  type ProcessSpec,
  type RestartPolicy,
  type SupervisorEvent,
} from '../../../nodes/cli/supervisor';

const FAST: RestartPolicy = { maxRestarts: 2, windowSec: 60, backoffInitialSec: 0.05, backoffMaxSec: 0.2 };

/** A node -e child process. */
function script(name: string, code: string, critical = false, restart: RestartPolicy = FAST): ProcessSpec {
  return { name, command: process.execPath, args: ['-e', code], critical, restart };
}

/** Runs until SIGINT, printing a line at start; exits 0 on SIGINT. */
const LONG_RUNNING = `console.log('up ' + process.pid); process.on('SIGINT', () => { console.log('bye'); process.exit(0); }); setInterval(() => {}, 1000);`;

function collect(): { events: SupervisorEvent[]; onEvent: (e: SupervisorEvent) => void } {
  const events: SupervisorEvent[] = [];
  return { events, onEvent: (e) => events.push(e) };
}

async function until(pred: () => boolean, timeoutMs = 10000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('supervisor with real child processes', () => {
  it('restarts a crashing process with backoff, then gives up and stops everything (failed)', async () => {
    const { events, onEvent } = collect();
    const sup = new Supervisor(
      [script('steady', LONG_RUNNING), script('crashy', `console.error('crash now'); process.exit(3);`)],
      { spawn: spawnChild(), onEvent, stopTimeoutSec: 5 },
    );
    sup.start();
    const result = await sup.done;
    expect(result.failed).toBe(true);
    expect(result.reason).toMatch(/crashy exited \(exit code 3\) after 2 restart\(s\) within 60 s/);
    const crashStarts = events.filter((e) => e.type === 'started' && e.name === 'crashy');
    expect(crashStarts.map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2, 3]);
    const delays = events
      .filter((e) => e.type === 'restart-scheduled')
      .map((e) => (e as { delaySec: number }).delaySec);
    expect(delays).toEqual([0.05, 0.1]);
    expect(events).toContainEqual({ type: 'gave-up', name: 'crashy', restartsInWindow: 2 });
    // its output arrived as lines, prefixed by name, before each exit
    expect(events.filter((e) => e.type === 'line' && e.name === 'crashy' && e.line === 'crash now')).toHaveLength(3);
    // the steady one was asked to stop (SIGINT) and finished cleanly
    expect(events).toContainEqual({ type: 'line', name: 'steady', line: 'bye', stream: 'stdout' });
    expect(events).toContainEqual({ type: 'exited', name: 'steady', code: 0, signal: null, expected: true });
    expect(sup.running()).toEqual([]);
  }, 20000);

  it('stops the stack when the critical process exits, without restarting it', async () => {
    const { events, onEvent } = collect();
    const sup = new Supervisor(
      [script('gate', `setTimeout(() => process.exit(0), 300);`, true), script('other', LONG_RUNNING)],
      { spawn: spawnChild(), onEvent },
    );
    sup.start();
    const result = await sup.done;
    expect(result).toEqual({ failed: true, reason: 'gate exited (exit code 0); the stack stops without it' });
    expect(events.filter((e) => e.type === 'started' && e.name === 'gate')).toHaveLength(1);
    expect(events.some((e) => e.type === 'restart-scheduled')).toBe(false);
    expect(events).toContainEqual({ type: 'critical-exited', name: 'gate' });
  }, 20000);

  it('stops cleanly on request: SIGINT to each, SIGKILL to one that ignores it after the stop timeout', async () => {
    const { events, onEvent } = collect();
    const stubborn = `process.on('SIGINT', () => console.log('ignored')); console.log('up'); setInterval(() => {}, 1000);`;
    const sup = new Supervisor([script('polite', LONG_RUNNING), script('stubborn', stubborn)], {
      spawn: spawnChild(),
      onEvent,
      stopTimeoutSec: 0.5,
    });
    sup.start();
    await until(() => events.filter((e) => e.type === 'line' && /^up/.test(e.line)).length === 2);
    const result = await sup.stop('Ctrl-C');
    expect(result).toEqual({ reason: 'Ctrl-C', failed: false });
    expect(events).toContainEqual({ type: 'line', name: 'stubborn', line: 'ignored', stream: 'stdout' });
    expect(events).toContainEqual({ type: 'killed', name: 'stubborn' });
    expect(events).toContainEqual({ type: 'exited', name: 'stubborn', code: null, signal: 'SIGKILL', expected: true });
    expect(events).toContainEqual({ type: 'exited', name: 'polite', code: 0, signal: null, expected: true });
    expect(events.some((e) => e.type === 'killed' && e.name === 'polite')).toBe(false);
  }, 20000);

  it('reports a command that cannot be started as an exit with status 127 and restarts it like a crash', async () => {
    const { events, onEvent } = collect();
    const sup = new Supervisor(
      [
        {
          name: 'missing',
          command: '/nonexistent/kizuna-node',
          args: [],
          critical: false,
          restart: { ...FAST, maxRestarts: 0 },
        },
      ],
      { spawn: spawnChild(), onEvent },
    );
    sup.start();
    const result = await sup.done;
    expect(result.reason).toMatch(/missing exited \(exit code 127\) after 0 restart/);
    expect(events.some((e) => e.type === 'line' && /cannot start '\/nonexistent\/kizuna-node'/.test(e.line))).toBe(
      true,
    );
  });
});

// ---------------------------------------------------------------------------------------------

/** A fake child the test ends by hand. */
class FakeChild implements ChildHandle {
  static nextPid = 100;
  readonly pid = FakeChild.nextPid++;
  signals: string[] = [];
  private exitCb?: (code: number | null, signal: NodeJS.Signals | null) => void;
  kill(signal: NodeJS.Signals): void {
    this.signals.push(signal);
  }
  onExit(cb: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.exitCb = cb;
  }
  onLine(): void {}
  exit(code: number): void {
    this.exitCb?.(code, null);
  }
}

/** Manual timers and clock. */
function manualTime(): {
  now: () => number;
  advance: (ms: number) => void;
  timers: { setTimeout: (cb: () => void, ms: number) => unknown; clearTimeout: (h: unknown) => void };
} {
  let t = 0;
  const pending = new Map<number, { at: number; cb: () => void }>();
  let id = 0;
  return {
    now: () => t,
    advance(ms) {
      const end = t + ms;
      for (;;) {
        const next = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > end) break;
        pending.delete(next[0]);
        t = next[1].at;
        next[1].cb();
      }
      t = end;
    },
    timers: {
      setTimeout: (cb, ms) => {
        pending.set(++id, { at: t + ms, cb });
        return id;
      },
      clearTimeout: (h) => void pending.delete(h as number),
    },
  };
}

describe('supervisor restart policy (fake processes, manual clock)', () => {
  it('doubles the delay per restart up to the maximum', () => {
    const p: RestartPolicy = { maxRestarts: 10, windowSec: 60, backoffInitialSec: 1, backoffMaxSec: 30 };
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelaySec(p, n))).toEqual([1, 2, 4, 8, 16, 30, 30]);
  });

  it('counts restarts in a sliding window: a node that crashes rarely is restarted forever', () => {
    const time = manualTime();
    const children: FakeChild[] = [];
    const { events, onEvent } = collect();
    const policy: RestartPolicy = { maxRestarts: 2, windowSec: 60, backoffInitialSec: 1, backoffMaxSec: 30 };
    const sup = new Supervisor([{ name: 'n', command: 'x', args: [], critical: false, restart: policy }], {
      spawn: () => {
        const c = new FakeChild();
        children.push(c);
        return c;
      },
      onEvent,
      now: time.now,
      timers: time.timers,
    });
    sup.start();
    // one crash every 40 s: never more than 2 restarts within 60 s
    for (let i = 0; i < 6; i++) {
      children[children.length - 1]?.exit(1);
      time.advance(40_000);
    }
    expect(children).toHaveLength(7);
    expect(events.some((e) => e.type === 'gave-up')).toBe(false);
    // three crashes in quick succession: the third exceeds the budget
    children[children.length - 1]?.exit(1);
    time.advance(5_000);
    children[children.length - 1]?.exit(1);
    time.advance(5_000);
    children[children.length - 1]?.exit(1);
    expect(events.some((e) => e.type === 'gave-up')).toBe(true);
  });

  it('cancels a pending restart when stopped, and the stop finishes without waiting for it', async () => {
    const time = manualTime();
    const children: FakeChild[] = [];
    const sup = new Supervisor([{ name: 'n', command: 'x', args: [], critical: false, restart: FAST }], {
      spawn: () => {
        const c = new FakeChild();
        children.push(c);
        return c;
      },
      now: time.now,
      timers: time.timers,
    });
    sup.start();
    children[0]?.exit(1); // restart scheduled in 0.05 s
    const done = sup.stop('Ctrl-C');
    time.advance(1000);
    expect(children).toHaveLength(1);
    await expect(done).resolves.toEqual({ reason: 'Ctrl-C', failed: false });
  });
});

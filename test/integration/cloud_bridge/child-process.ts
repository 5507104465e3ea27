/**
 * The bridge as its own process (child.ts), for the kill -9 tests: spawn it, wait for its stdout lines,
 * wait for it to exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const child = join(__dirname, 'child.ts');

/** Spawns the bridge process; resolves with it and a promise of each stdout line. */
export function spawnBridge(
  params: Record<string, unknown>,
  burst: number,
): { proc: ChildProcess; lines: string[]; wait(re: RegExp, ms: number): Promise<string> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, JSON.stringify(params), String(burst)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KIZUNA_LOG_LEVEL: 'error' },
  });
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  proc.stderr!.on('data', () => undefined);
  return {
    proc,
    lines,
    wait: (re, ms) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + ms;
        const poll = (): void => {
          const hit = lines.find((l) => re.test(l));
          if (hit) return resolve(hit);
          if (proc.exitCode !== null || proc.signalCode !== null)
            return reject(new Error(`bridge exited before ${re}`));
          if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${re}`));
          setTimeout(poll, 10);
        };
        poll();
      }),
  };
}

export function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => proc.once('exit', () => r()));
}

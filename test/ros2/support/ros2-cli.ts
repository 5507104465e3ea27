/**
 * ROS 2's own tools driven from jest: the `ros2` command line, `ros2 launch` of kizuna's ament package
 * built with colcon, and a process whose output can be awaited line by line. Everything runs in the
 * sandbox jest was started in (scripts/ros-sandbox.sh), so DDS stays on loopback.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMosquitto, type MosquittoBroker } from '../../helpers/brokers';
import { writeProfileParams } from '../../helpers/profile-params';

export const root = join(__dirname, '..', '..', '..');

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** [ms] wall time of the command */
  ms: number;
}

/** Runs `ros2 <args>` (without blocking this process's event loop) and returns its output. */
export function ros2(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 30000): Promise<Ran> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn('ros2', args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Repeats `ros2 <args>` until `ok(stdout)` (discovery takes a moment), returning the last run. */
export async function ros2Until(
  args: string[],
  ok: (stdout: string) => boolean,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 30000,
): Promise<Ran> {
  const deadline = Date.now() + timeoutMs;
  let last = await ros2(args, env);
  while (!ok(last.stdout) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    last = await ros2(args, env);
  }
  return last;
}

/**
 * `npm run build`, then `colcon build --symlink-install` of ament/kizuna in a scratch workspace, as a
 * robot maker does (docs/deploy.md). Returns the install prefix (merged), to put first on AMENT_PREFIX_PATH.
 * Symlinks keep node_modules/ from being copied.
 */
export function buildKizunaPackage(): string {
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  const ws = mkdtempSync(join(tmpdir(), 'kizuna-ws-'));
  mkdirSync(join(ws, 'src'));
  symlinkSync(join(root, 'ament', 'kizuna'), join(ws, 'src', 'kizuna'));
  const r = spawnSync('colcon', ['build', '--symlink-install', '--merge-install'], {
    cwd: ws,
    encoding: 'utf8',
    timeout: 300000,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`colcon build of ament/kizuna failed (${ws}/log):\n${r.stderr.slice(-3000)}`);
  return join(ws, 'install');
}

/** A running process whose combined output can be awaited. */
export interface Running {
  child: ChildProcess;
  out(): string;
  /** Resolves with the first match of `re` in the output so far or to come. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  /** SIGKILLs its whole process group (whatever of it still runs). */
  kill(): void;
}

/** The combined output of `child`, awaitable: what test/integration/launch-files.test.ts needs too. */
export function watchOutput(child: ChildProcess): Omit<Running, 'kill'> {
  let text = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer): void => {
    text += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    out: () => text,
    waitFor(re, timeoutMs = 30000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${text}`)), timeoutMs);
        const check = (): void => {
          const m = re.exec(text);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** Starts `cmd` in a process group of its own, collecting stdout and stderr. */
export function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Running {
  const child = spawn(cmd, args, { env, detached: true });
  return {
    ...watchOutput(child),
    kill() {
      // the group, even when its leader has exited: what it started (a node under `ros2 run`) may live on
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    },
  };
}

/** Whether a process with this pid is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * What a `ros2 launch kizuna …` test runs in: kizuna's ament package built into a prefix, a temporary
 * folder (parameter files, stores, ROS logs), a mosquitto broker on a loopback port, and the environment
 * with the package on AMENT_PREFIX_PATH. Registers its own beforeAll/afterAll; read the fields in tests.
 */
export interface LaunchTestEnvironment {
  prefix: string;
  dir: string;
  broker: MosquittoBroker;
  env: NodeJS.ProcessEnv;
}

export function launchTestEnvironment(tag: string): LaunchTestEnvironment {
  const e = {} as LaunchTestEnvironment;
  beforeAll(async () => {
    e.prefix = buildKizunaPackage();
    e.dir = mkdtempSync(join(tmpdir(), `kizuna-ros2-${tag}-`));
    e.broker = await startMosquitto();
    e.env = {
      ...process.env,
      AMENT_PREFIX_PATH: `${e.prefix}:${process.env.AMENT_PREFIX_PATH ?? ''}`,
      ROS_LOG_DIR: join(e.dir, 'ros-log'),
      // black_box's default folder ($XDG_STATE_HOME/kizuna/black_box) in the test's, not the user's
      XDG_STATE_HOME: join(e.dir, 'state'),
      PYTHONUNBUFFERED: '1',
    };
  }, 300000);
  afterAll(async () => {
    await e.broker?.close();
    if (e.dir) rmSync(e.dir, { recursive: true, force: true });
    if (e.prefix) rmSync(join(e.prefix, '..'), { recursive: true, force: true });
  });
  return e;
}

/**
 * The care profile's parameter file for `robot` in namespace `ns`, for launch file `file`: its own store,
 * quick reconnects. kizuna.launch.py moves the sections under the namespace itself; for the XML file they
 * are written under it here.
 */
export function launchParams(e: LaunchTestEnvironment, file: string, robot: string, ns: string): string {
  return writeProfileParams(
    'care',
    join(e.dir, `${robot}.yaml`),
    { store_path: join(e.dir, `${robot}.sqlite`), reconnect_min_s: 0.1 },
    (doc) => {
      if (!file.endsWith('.xml')) return;
      for (const key of Object.keys(doc)) {
        if (key.startsWith('/')) continue;
        doc[`${ns}/${key}`] = doc[key] as (typeof doc)[string];
        delete doc[key];
      }
    },
  );
}

/**
 * Makes rclnodejs's real type declarations available to `tsc` on machines where rclnodejs cannot
 * install (no ROS 2): `.cache/rclnodejs/types/` gets the `types/*.d.ts` of the pinned rclnodejs
 * release plus an `interfaces.d.ts` for kizuna's messages, written by scripts/gen-msgs.ts.
 * tsconfig.json includes `.cache/rclnodejs/types/*.d.ts`, so the rclnodejs graph is type-checked
 * against the declarations it will run with.
 *
 *   tsx scripts/rclnodejs-types.ts
 *
 * Where rclnodejs really installed (node_modules/rclnodejs/types/interfaces.d.ts exists), the cache
 * is removed and the package's own declarations are used. Exit 1 with a reason when the package
 * cannot be fetched (offline) or unpacked.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  renameSync,
  statSync,
  writeFileSync,
  readFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The rclnodejs release the project pins (package.json optionalDependencies). */
const RCLNODEJS_VERSION = '2.2.0';

const ROOT = resolve(__dirname, '..');
const INSTALLED_INTERFACES = join(ROOT, 'node_modules', 'rclnodejs', 'types', 'interfaces.d.ts');
const CACHE = join(ROOT, '.cache', 'rclnodejs');
const TYPES = join(CACHE, 'types');
const STAMP = join(CACHE, 'stamp.json');
const INTERFACES = join(TYPES, 'interfaces.d.ts');
const GENERATED_TS = join(ROOT, 'nodes', 'core', 'interfaces', 'generated.ts');
const GEN_MSGS = join(ROOT, 'scripts', 'gen-msgs.ts');
const MSGGEN_LIB = join(ROOT, 'scripts', 'lib', 'msggen');

function step(text: string): void {
  process.stderr.write(`rclnodejs-types: ${text}\n`);
}

class StepError extends Error {}

function mtimeMs(path: string): number {
  return existsSync(path) ? statSync(path).mtimeMs : -1;
}

/** Newest modification time of what interfaces.d.ts is made from: generated.ts and the generator itself. */
function newestInputMs(): number {
  const lib = existsSync(MSGGEN_LIB) ? readdirSync(MSGGEN_LIB).map((f) => join(MSGGEN_LIB, f)) : [];
  return Math.max(mtimeMs(GENERATED_TS), mtimeMs(GEN_MSGS), ...lib.map(mtimeMs));
}

/** True when the cached declarations are of the pinned release. */
function declarationsCached(): boolean {
  if (!existsSync(join(TYPES, 'index.d.ts')) || !existsSync(STAMP)) return false;
  try {
    const stamp = JSON.parse(readFileSync(STAMP, 'utf8')) as { version?: unknown };
    return stamp.version === RCLNODEJS_VERSION;
  } catch {
    return false;
  }
}

/** Fetches the pinned tarball with npm and copies its `types/*.d.ts` into the cache. */
function fetchDeclarations(): void {
  const work = mkdtempSync(join(tmpdir(), 'kizuna-rclnodejs-'));
  try {
    step(`fetching rclnodejs@${RCLNODEJS_VERSION} with npm pack`);
    try {
      execFileSync('npm', ['pack', `rclnodejs@${RCLNODEJS_VERSION}`, '--pack-destination', work, '--loglevel=error'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        cwd: work,
      });
    } catch (cause) {
      const stderr = String((cause as { stderr?: unknown }).stderr ?? '').trim();
      throw new StepError(
        `npm pack rclnodejs@${RCLNODEJS_VERSION} failed (offline, or the registry is unreachable?)` +
          (stderr ? `:\n${stderr}` : ''),
      );
    }
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new StepError(`npm pack left no tarball in ${work}`);

    step(`extracting package/types/*.d.ts from ${tarball}`);
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    try {
      execFileSync('tar', ['-xzf', join(work, tarball), '-C', unpacked, 'package/types'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (cause) {
      throw new StepError(`tar could not extract package/types from ${tarball}: ${String((cause as Error).message)}`);
    }
    const src = join(unpacked, 'package', 'types');
    const files = readdirSync(src).filter((f) => f.endsWith('.d.ts') && statSync(join(src, f)).isFile());
    if (!files.includes('index.d.ts')) throw new StepError(`${tarball} has no types/index.d.ts`);

    // Build next to the cache and swap it in, so an interrupted run never leaves half a directory.
    mkdirSync(CACHE, { recursive: true });
    const staging = join(CACHE, `types.staging-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    for (const f of files) copyFileSync(join(src, f), join(staging, f));
    rmSync(TYPES, { recursive: true, force: true });
    renameSync(staging, TYPES);
    writeFileSync(STAMP, `${JSON.stringify({ version: RCLNODEJS_VERSION, files: files.length }, null, 2)}\n`);
    step(`wrote ${files.length} declaration files to ${TYPES}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Writes interfaces.d.ts for kizuna's messages with scripts/gen-msgs.ts. */
function writeInterfaces(): void {
  step(`writing ${INTERFACES} with scripts/gen-msgs.ts --rclnodejs-dts`);
  const tsxCli = require.resolve('tsx/cli');
  try {
    execFileSync(process.execPath, [tsxCli, GEN_MSGS, '--rclnodejs-dts', INTERFACES], {
      cwd: ROOT,
      stdio: ['ignore', 2, 2], // keep stdout clean: progress goes to stderr
    });
  } catch {
    throw new StepError('scripts/gen-msgs.ts --rclnodejs-dts failed (see its output above)');
  }
}

function main(): void {
  if (existsSync(INSTALLED_INTERFACES)) {
    step('rclnodejs is installed with its generated interfaces; using node_modules/rclnodejs/types');
    rmSync(CACHE, { recursive: true, force: true });
    return;
  }
  const haveDeclarations = declarationsCached();
  if (haveDeclarations && mtimeMs(INTERFACES) > newestInputMs()) {
    step(`up to date (rclnodejs ${RCLNODEJS_VERSION} declarations in ${TYPES})`);
    return;
  }
  if (!haveDeclarations) fetchDeclarations();
  else
    step(
      `rclnodejs ${RCLNODEJS_VERSION} declarations cached; interfaces.d.ts is older than generated.ts or its generator`,
    );
  writeInterfaces();
  step('done');
}

try {
  main();
} catch (err) {
  step(`error: ${err instanceof StepError ? err.message : String((err as Error)?.stack ?? err)}`);
  process.exit(1);
}

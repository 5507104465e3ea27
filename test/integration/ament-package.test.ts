/**
 * ament/kizuna: the ament package that installs kizuna into a colcon workspace.
 *
 * Always: package.xml depends on every ROS interface package the nodes use, CMakeLists.txt installs only
 * what exists, and no package.xml sits at the repository root (colcon would then never find msgs/).
 * For real, when colcon and ament_cmake are importable from one Python (KIZUNA_COLCON_PYTHON, or the
 * one next to KIZUNA_LAUNCH_PYTHON): `colcon build` in a scratch workspace linking ament/kizuna, then
 * the installed command and layout are checked.
 */
import { describe, it, expect } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const pkgDir = join(root, 'ament', 'kizuna');
const packageXml = readFileSync(join(pkgDir, 'package.xml'), 'utf8');
const cmake = readFileSync(join(pkgDir, 'CMakeLists.txt'), 'utf8');

function xmlValues(tag: string): string[] {
  return [...packageXml.matchAll(new RegExp(`<${tag}>\\s*([^<\\s]+)\\s*</${tag}>`, 'g'))].map((m) => m[1] ?? '');
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith('.ts') && !p.endsWith('.generated.ts') && !p.endsWith('generated.ts')) out.push(p);
  }
  return out;
}

describe('ament/kizuna, read without building', () => {
  it('is an ament_cmake package named kizuna, and the repository root is not a package', () => {
    expect(xmlValues('name')).toEqual(['kizuna']);
    expect(xmlValues('build_type')).toEqual(['ament_cmake']);
    expect(cmake).toMatch(/project\(kizuna NONE\)/);
    expect(existsSync(join(root, 'package.xml'))).toBe(false);
    expect(existsSync(join(root, 'msgs', 'package.xml'))).toBe(true);
  });

  it('depends on every ROS interface package the nodes use (nav2_msgs only with the nav2 backend)', () => {
    const deps = new Set(xmlValues('exec_depend'));
    for (const d of ['kizuna_msgs', 'nodejs', 'launch', 'launch_xml']) expect(deps).toContain(d);
    const used = new Set<string>();
    // nodes/core/mcap writes recordings with its own copies of the schemas it needs (tf2_msgs/TFMessage
    // for /tf): no node uses those types on the ROS graph, so they are no run-time dependency
    for (const file of sourceFiles(join(root, 'nodes')).filter((f) => !f.includes(join('core', 'mcap')))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/'([a-z][a-z0-9_]*)\/(msg|srv|action)\/[A-Z][A-Za-z0-9]*'/g)) used.add(m[1] ?? '');
    }
    expect(used.size).toBeGreaterThan(5);
    const missing = [...used].filter((p) => !deps.has(p) && p !== 'nav2_msgs');
    expect(missing).toEqual([]);
  });

  it('installs files that exist in the source tree', () => {
    const sources = [...cmake.matchAll(/install\((?:FILES|PROGRAMS|DIRECTORY) "\$\{KIZUNA_ROOT\}\/([^"]+)"/g)].map(
      (m) => m[1] ?? '',
    );
    expect(sources).toEqual(
      expect.arrayContaining(['package.json', 'bin/kizuna.js', 'dist', 'node_modules', 'launch/']),
    );
    // dist/ and node_modules/ exist once built; sim/gazebo is installed only where it exists
    for (const s of sources.filter((x) => !['dist', 'node_modules', 'sim/gazebo'].includes(x))) {
      expect(existsSync(join(root, s))).toBe(true);
    }
    expect(statSync(join(pkgDir, 'kizuna')).mode & 0o111).not.toBe(0);
  });
});

function findColconPython(): { python?: string; why: string } {
  const candidates = [
    process.env.KIZUNA_COLCON_PYTHON,
    process.env.KIZUNA_LAUNCH_PYTHON,
    join(root, '.cache', 'ros', 'venv', 'bin', 'python'),
  ].filter((c): c is string => !!c);
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', 'import colcon_core, colcon_cmake, colcon_ros, ament_package'], { encoding: 'utf8' });
    if (r.status === 0 && existsSync(join(dirname(c), 'colcon'))) return { python: c, why: '' };
  }
  return {
    why: `no Python with colcon and ament_package (tried ${candidates.join(', ') || 'nothing: set KIZUNA_COLCON_PYTHON'})`,
  };
}

const colcon = findColconPython();
if (!colcon.python) process.stderr.write(`ament-package.test.ts: colcon build skipped: ${colcon.why}\n`);
const describeBuild = colcon.python ? describe : describe.skip;

describeBuild('ament/kizuna, built with colcon', () => {
  it('builds, registers kizuna in the ament index and installs the command, launch files and profiles', () => {
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
    expect(build.status).toBe(0);
    const ws = mkdtempSync(join(tmpdir(), 'kizuna-ws-'));
    try {
      mkdirSync(join(ws, 'src'));
      symlinkSync(pkgDir, join(ws, 'src', 'kizuna'));
      const bin = dirname(colcon.python as string);
      const prefix = dirname(bin);
      const env = {
        ...process.env,
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        AMENT_PREFIX_PATH: [prefix, process.env.AMENT_PREFIX_PATH].filter(Boolean).join(':'),
        CMAKE_PREFIX_PATH: [prefix, process.env.CMAKE_PREFIX_PATH].filter(Boolean).join(':'),
      };
      // stdout (one line per installed file) is not kept: colcon's log/ has it
      const r = spawnSync(join(bin, 'colcon'), ['build'], {
        cwd: ws,
        env,
        encoding: 'utf8',
        timeout: 300000,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      expect(`${r.status}\n${r.stderr.slice(-2000)}`).toMatch(/^0\n/);
      const share = join(ws, 'install', 'kizuna', 'share');
      expect(existsSync(join(share, 'ament_index', 'resource_index', 'packages', 'kizuna'))).toBe(true);
      for (const f of [
        'kizuna/launch/kizuna.launch.py',
        'kizuna/launch/kizuna.launch.xml',
        'kizuna/launch/params/care.yaml',
        'kizuna/bin/kizuna.js',
        'kizuna/dist/nodes/cli/kizuna.js',
        'kizuna/node_modules/zod/package.json',
        'kizuna/package.xml',
      ]) {
        expect(relative(share, join(share, f)) && existsSync(join(share, f))).toBe(true);
      }
      const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
      const run = spawnSync(join(ws, 'install', 'kizuna', 'lib', 'kizuna', 'kizuna'), ['--version'], {
        encoding: 'utf8',
      });
      expect(run.stdout.trim()).toBe(version.version);
      const nodes = spawnSync(join(ws, 'install', 'kizuna', 'lib', 'kizuna', 'kizuna'), ['nodes'], {
        encoding: 'utf8',
      });
      expect(nodes.stdout).toMatch(/safety_gate/);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  }, 320000);
});

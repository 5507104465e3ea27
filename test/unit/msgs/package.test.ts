import { describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadInterfaces, OWN_DIR, OWN_PACKAGE } from '../../../scripts/lib/msggen';

const root = path.resolve(__dirname, '../../..');
const pkgDir = path.join(root, OWN_DIR);
const cmake = fs.readFileSync(path.join(pkgDir, 'CMakeLists.txt'), 'utf8');
const packageXml = fs.readFileSync(path.join(pkgDir, 'package.xml'), 'utf8');

/** The argument text of `rosidl_generate_interfaces(...)` in CMakeLists.txt. */
function rosidlCall(): string {
  const match = /rosidl_generate_interfaces\s*\(([^)]*)\)/.exec(cmake);
  if (!match) throw new Error('msgs/CMakeLists.txt has no rosidl_generate_interfaces(...) call');
  return match[1] ?? '';
}

function listedFiles(): string[] {
  return [...rosidlCall().matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? '');
}

function listedDependencies(): string[] {
  const after = rosidlCall().split(/\bDEPENDENCIES\b/)[1] ?? '';
  return after.split(/\s+/).filter((t) => t !== '');
}

function interfaceFilesOnDisk(): string[] {
  const files: string[] = [];
  for (const kind of ['msg', 'srv', 'action']) {
    const dir = path.join(pkgDir, kind);
    if (!fs.existsSync(dir)) continue;
    for (const entry of fs.readdirSync(dir)) files.push(`${kind}/${entry}`);
  }
  return files.sort();
}

function xmlValues(tag: string): string[] {
  return [...packageXml.matchAll(new RegExp(`<${tag}>\\s*([^<\\s]+)\\s*</${tag}>`, 'g'))].map((m) => m[1] ?? '');
}

/** Packages other than kizuna_msgs that the kizuna_msgs interface files refer to. */
function referencedPackages(): string[] {
  const set = loadInterfaces(root);
  const pkgs = new Set<string>();
  for (const entry of set.messages.values()) {
    if (!entry.def.name.startsWith(`${OWN_PACKAGE}/`)) continue;
    for (const field of entry.def.fields) {
      const pkg = field.type.split('/')[0] ?? '';
      if (field.isComplex && pkg !== OWN_PACKAGE) pkgs.add(pkg);
    }
  }
  return [...pkgs].sort();
}

describe('kizuna_msgs package build files', () => {
  it('names in rosidl_generate_interfaces exactly the interface files present in msgs/', () => {
    expect([...listedFiles()].sort()).toEqual(interfaceFilesOnDisk());
    for (const file of listedFiles()) expect(fs.existsSync(path.join(pkgDir, file))).toBe(true);
  });

  it('has at least the messages the roadmap nodes exchange', () => {
    for (const name of ['WorldSummary', 'Decision', 'DecisionStatus', 'SafetyState', 'BridgeStatus']) {
      expect(listedFiles()).toContain(`msg/${name}.msg`);
    }
  });

  it('lists every referenced package as a rosidl dependency and finds it with find_package', () => {
    for (const pkg of referencedPackages()) {
      expect(listedDependencies()).toContain(pkg);
      expect(cmake).toMatch(new RegExp(`find_package\\(${pkg} REQUIRED\\)`));
    }
    expect(cmake).toMatch(/find_package\(rosidl_default_generators REQUIRED\)/);
    expect(cmake).toMatch(/ament_export_dependencies\(rosidl_default_runtime\)/);
    expect(cmake).toMatch(/ament_package\(\)/);
  });

  it('declares a format 3 interface package named kizuna_msgs', () => {
    expect(packageXml).toMatch(/<package format="3">/);
    expect(xmlValues('name')).toEqual([OWN_PACKAGE]);
    expect(cmake).toMatch(new RegExp(`project\\(${OWN_PACKAGE}\\)`));
    expect(xmlValues('buildtool_depend')).toEqual(expect.arrayContaining(['ament_cmake', 'rosidl_default_generators']));
    expect(xmlValues('exec_depend')).toContain('rosidl_default_runtime');
    expect(xmlValues('member_of_group')).toContain('rosidl_interface_packages');
    expect(xmlValues('build_type')).toEqual(['ament_cmake']);
  });

  it('depends, for build and run, on every package its messages refer to', () => {
    const build = [...xmlValues('depend'), ...xmlValues('build_depend')];
    const exec = [...xmlValues('depend'), ...xmlValues('exec_depend')];
    expect(referencedPackages().length).toBeGreaterThan(0);
    for (const pkg of referencedPackages()) {
      expect(build).toContain(pkg);
      expect(exec).toContain(pkg);
    }
  });
});

/**
 * Finds the interface files the generator reads: standard ROS 2 Jazzy packages from
 * @foxglove/rosmsg-msgs-common, our own kizuna_msgs package (msgs/) and the vendored
 * standard interfaces that package does not ship (nodes/core/interfaces/vendor/).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MsgGenError } from './errors';

export type InterfaceKind = 'msg' | 'srv' | 'action';

/** One .msg/.srv/.action file, already reduced to its own definition text. */
export interface SourceFile {
  pkg: string;
  kind: InterfaceKind;
  /** Interface name without extension, e.g. `LaserScan`. */
  name: string;
  /** Path relative to the repository root, with forward slashes (used in errors). */
  path: string;
  text: string;
}

/**
 * Standard packages taken from the Jazzy message set. action_msgs and
 * unique_identifier_msgs carry the action protocol; lifecycle_msgs the managed-node protocol; rcl_interfaces is needed because
 * rclnodejs's own declarations refer to its messages (parameters, logging).
 */
export const STANDARD_PACKAGES = [
  'action_msgs',
  'builtin_interfaces',
  'diagnostic_msgs',
  'geometry_msgs',
  'lifecycle_msgs',
  'nav_msgs',
  'rcl_interfaces',
  'rosgraph_msgs',
  'sensor_msgs',
  'std_msgs',
  'unique_identifier_msgs',
] as const;

export const OWN_PACKAGE = 'kizuna_msgs';

const STANDARD_DIR = 'node_modules/@foxglove/rosmsg-msgs-common/msgdefs/ros2jazzy';
export const OWN_DIR = 'msgs';
export const VENDOR_DIR = 'nodes/core/interfaces/vendor';

const KINDS: readonly InterfaceKind[] = ['msg', 'srv', 'action'];

/** Returns every input interface file under `root`, sorted by full type name. */
export function collectSources(root: string): SourceFile[] {
  const files: SourceFile[] = [];
  for (const pkg of STANDARD_PACKAGES) {
    const dir = `${STANDARD_DIR}/${pkg}`;
    if (!fs.existsSync(path.join(root, dir))) {
      throw new MsgGenError(dir, `standard package ${pkg} is missing; is @foxglove/rosmsg-msgs-common installed?`);
    }
    // Those files append the definitions they depend on after a "===" line; we
    // resolve dependencies ourselves, so keep only the file's own definition.
    files.push(...readPackage(root, dir, pkg, ownDefinitionOnly));
  }
  files.push(...readPackage(root, OWN_DIR, OWN_PACKAGE));
  const vendorRoot = path.join(root, VENDOR_DIR);
  if (fs.existsSync(vendorRoot)) {
    for (const pkg of listDir(vendorRoot)) {
      files.push(...readPackage(root, `${VENDOR_DIR}/${pkg}`, pkg));
    }
  }
  files.sort((a, b) => compare(fullName(a), fullName(b)));
  files.reduce<SourceFile | undefined>((previous, file) => {
    if (previous && fullName(previous) === fullName(file)) {
      throw new MsgGenError(file.path, `${fullName(file)} is also defined by ${previous.path}`);
    }
    return file;
  }, undefined);
  return files;
}

/** Full type name of a source, e.g. `std_srvs/srv/Trigger`. */
export function fullName(file: SourceFile): string {
  return `${file.pkg}/${file.kind}/${file.name}`;
}

/** Plain code-unit order, so output never depends on the machine's locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function readPackage(
  root: string,
  pkgDir: string,
  pkg: string,
  transform: (text: string) => string = (t) => t,
): SourceFile[] {
  const files: SourceFile[] = [];
  for (const kind of KINDS) {
    const dir = path.join(root, pkgDir, kind);
    if (!fs.existsSync(dir)) continue;
    for (const entry of listDir(dir)) {
      const ext = path.extname(entry);
      const rel = `${pkgDir}/${kind}/${entry}`;
      if (ext !== `.${kind}`) {
        throw new MsgGenError(rel, `only .${kind} files belong in ${pkgDir}/${kind}/`);
      }
      const text = fs.readFileSync(path.join(dir, entry), 'utf8');
      files.push({ pkg, kind, name: path.basename(entry, ext), path: rel, text: transform(text) });
    }
  }
  return files;
}

function listDir(dir: string): string[] {
  return fs.readdirSync(dir).sort(compare);
}

function ownDefinitionOnly(text: string): string {
  const lines = text.split('\n');
  const cut = lines.findIndex((line) => /^={3,}\s*$/.test(line));
  return cut === -1 ? text : lines.slice(0, cut).join('\n');
}

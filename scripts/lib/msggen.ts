/**
 * The message generator as pure functions: load the interface files, render the
 * committed outputs, compare them with the files on disk. scripts/gen-msgs.ts is the
 * command line around it; the tests call it directly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildInterfaceSet, type InterfaceSet } from './msggen/model';
import { renderDefinitions } from './msggen/render-definitions';
import { renderRclnodejsDts } from './msggen/render-rclnodejs-dts';
import { renderTypes } from './msggen/render-types';
import { collectSources } from './msggen/sources';

export { MsgGenError } from './msggen/errors';
export type { InterfaceSet, MessageEntry } from './msggen/model';
export { OWN_DIR, OWN_PACKAGE, STANDARD_PACKAGES, VENDOR_DIR } from './msggen/sources';
export { renderRclnodejsDts };

/** Repository-relative paths of the committed generated files. */
export const GENERATED_TYPES_PATH = 'nodes/core/interfaces/generated.ts';
export const GENERATED_DEFINITIONS_PATH = 'nodes/core/interfaces/definitions.generated.ts';

/** One file the generator writes: repository-relative path and full content. */
export interface GeneratedFile {
  path: string;
  content: string;
}

/** Reads and resolves every input interface file under the repository `root`. */
export function loadInterfaces(root: string): InterfaceSet {
  return buildInterfaceSet(collectSources(root));
}

/** Returns the committed outputs (typings and run-time definitions) for `set`. */
export function renderGeneratedFiles(set: InterfaceSet): GeneratedFile[] {
  return [
    { path: GENERATED_TYPES_PATH, content: renderTypes(set) },
    { path: GENERATED_DEFINITIONS_PATH, content: renderDefinitions(set) },
  ];
}

/** A generated file whose copy on disk differs from what the generator would write. */
export interface StaleFile {
  path: string;
  /** Why: missing, or the first differing line (1-based). */
  reason: string;
}

/** Compares `files` with the copies under `root`; returns the stale ones (empty when fresh). */
export function findStaleFiles(root: string, files: readonly GeneratedFile[]): StaleFile[] {
  const stale: StaleFile[] = [];
  for (const file of files) {
    const full = path.join(root, file.path);
    if (!fs.existsSync(full)) {
      stale.push({ path: file.path, reason: 'missing' });
      continue;
    }
    const onDisk = fs.readFileSync(full, 'utf8');
    if (onDisk === file.content) continue;
    const a = onDisk.split('\n');
    const b = file.content.split('\n');
    let line = 0;
    while (line < a.length && line < b.length && a[line] === b[line]) line++;
    stale.push({ path: file.path, reason: `differs from line ${line + 1}` });
  }
  return stale;
}

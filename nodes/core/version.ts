/** kizuna's software version, read once from the package.json above this file (source tree or dist/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/** The `version` of kizuna's package.json, or `unknown` when none is found. */
export function kizunaVersion(): string {
  if (cached !== undefined) return cached;
  cached = 'unknown';
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'kizuna' && pkg.version) {
      cached = pkg.version;
      break;
    }
  }
  return cached;
}

/**
 * A shipped robot profile (launch/params/<profile>.yaml) with cloud_bridge's settings replaced for a test
 * robot, written as a new ROS 2 parameter file: the profile's values stay as shipped, the bridge gets
 * what a test machine has (no trusted keys file: unsigned decisions; its outbox in the test's folder), and
 * black_box its incident folder beside the written file (`<file>.black_box/`), never the user's state folder.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

type ParamFile = Record<string, { ros__parameters: Record<string, unknown> }>;

/** Writes `file` and returns it. `bridge` entries override (undefined removes) cloud_bridge's parameters. */
export function writeProfileParams(
  profile: string,
  file: string,
  bridge: Record<string, unknown>,
  edit: (doc: ParamFile) => void = () => undefined,
): string {
  const root = join(__dirname, '..', '..');
  const doc = parse(readFileSync(join(root, 'launch', 'params', `${profile}.yaml`), 'utf8')) as ParamFile;
  const section = (doc.cloud_bridge ??= { ros__parameters: {} }).ros__parameters;
  for (const [k, v] of Object.entries({ trusted_keys_file: undefined, allow_unsigned: true, ...bridge })) {
    if (v === undefined) delete section[k];
    else section[k] = v;
  }
  (doc.black_box ??= { ros__parameters: {} }).ros__parameters.dir = `${file}.black_box`;
  edit(doc);
  writeFileSync(file, stringify(doc));
  return file;
}

/**
 * Generates the TypeScript typings and run-time definitions of every ROS 2 interface
 * kizuna uses. Usage:
 *   tsx scripts/gen-msgs.ts                          write the committed outputs
 *   tsx scripts/gen-msgs.ts --check                  exit 1 when a committed output is stale
 *   tsx scripts/gen-msgs.ts --rclnodejs-dts <file>   write rclnodejs's interfaces.d.ts to <file>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findStaleFiles, loadInterfaces, MsgGenError, renderGeneratedFiles, renderRclnodejsDts } from './lib/msggen';

const USAGE = 'usage: tsx scripts/gen-msgs.ts [--check | --rclnodejs-dts <outfile>]';

/** Runs the command line; returns the process exit code. */
function main(argv: string[], root: string): number {
  const [flag, arg, ...rest] = argv;
  if (rest.length > 0 || (flag === '--check' && arg !== undefined)) return usage();
  const set = loadInterfaces(root);

  if (flag === undefined) {
    for (const file of renderGeneratedFiles(set)) {
      fs.writeFileSync(path.join(root, file.path), file.content);
      process.stdout.write(`wrote ${file.path}\n`);
    }
    return 0;
  }
  if (flag === '--check') {
    const stale = findStaleFiles(root, renderGeneratedFiles(set));
    for (const file of stale) {
      process.stderr.write(`${file.path} is stale (${file.reason}); run \`npm run gen:msgs\` and commit the result\n`);
    }
    if (stale.length === 0) process.stdout.write('generated interface files are up to date\n');
    return stale.length === 0 ? 0 : 1;
  }
  if (flag === '--rclnodejs-dts' && arg !== undefined) {
    const out = path.resolve(process.cwd(), arg);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, renderRclnodejsDts(set));
    process.stdout.write(`wrote ${out}\n`);
    return 0;
  }
  return usage();
}

function usage(): number {
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

try {
  process.exitCode = main(process.argv.slice(2), path.resolve(__dirname, '..'));
} catch (err) {
  // Input errors already name the file and field; anything else is a generator bug.
  process.stderr.write(
    err instanceof MsgGenError
      ? `gen-msgs: ${err.message}\n`
      : `gen-msgs failed: ${String((err as Error).stack ?? err)}\n`,
  );
  process.exitCode = 1;
}

/**
 * The `kizuna` command line. Output meant for people goes to stdout; logs go to stderr through winston.
 */
import { kizunaVersion } from '../core/version';
import { KizunaError, isKizunaError } from '../core/errors';
import { createLogger } from '../core/logging';
import { printable } from '../core/printable';
import { launchNode } from '../core/runner';
import { NODES } from '../registry';
import { runDemo } from './demo';
import { CONTRACT_USAGE, runContract } from './contract';
import { runBrokerAcl } from './broker-acl';
import { REVOKE_USAGE, runBrokerRevoke } from './broker-revoke';
import { runSimCli } from './sim';
import { LAUNCH_USAGE, runLaunch } from './launch';
import { DOCTOR_USAGE, runDoctor } from './doctor';
import { STATUS_USAGE, runStatus } from './status';
import { AUDIT_USAGE, runAudit } from './audit';
import { BLACKBOX_USAGE, runBlackbox } from './blackbox';

const USAGE = `usage: kizuna <command> [options]

commands:
  demo [--duration <s>]          a three-second foundation demo on the in-process graph (npm start runs sim)
  run <node> [--graph inprocess|rclnodejs] [--managed] [--json-logs] [--ros-args ...]
                                 start one node; --ros-args takes -p name:=value, --params-file <yaml>,
                                 -r from:=to, -r __node:=name, -r __ns:=/ns, --log-level <level>
                                 --managed: a lifecycle node, unconfigured until configured and activated
                                 (--managed=true|false: the same, for launch files passing an argument)
  nodes                          list the nodes 'run' can start
  contract --out <dir>           write the MQTT contract: JSON Schema of every payload and the AsyncAPI 3
                                 documents (the national side's and the robot's)
  broker-acl --roster <file> [--national <file>] [--admin <name>]... [--root kizuna/v1] [--out <file>]
                                 the broker's rules (mosquitto dynamic-security JSON) from a roster of
                                 '<fleet> <robotId>' lines, a list of national accounts,
                                 '<username> <fleets> [<share-group>]' lines, and the admin accounts that
                                 may use 'revoke' (docs/deploy.md, section 6)
  broker-acl revoke <fleet>.<robotId> --broker <url> --username <admin> --password-file <file> ...
                                 take a stolen or retired robot's rights away at the running broker, at once
  sim [--scenario FILE|NAME] [--robots N] [--speed X] ...  run a fleet simulation (sim/README.md); exit 0 when it passes
  launch --profile <p> --robot-id <id> [--params <file>] [--broker <url>] [--compose] [--no-lifecycle] [--dry-run]
                                 check the robot's setup, then start and supervise its nodes until Ctrl-C:
                                 managed nodes brought up by lifecycle_manager (--no-lifecycle: all active at once)
  doctor [--profile <p>] [--params <file>] [--broker <url>]
                                 check this robot's setup: pass / warn / fail with the fix for each
  status [--broker <url>] [--robot-id <id>] [--watch]
                                 what a robot reports over MQTT: link, safety, decision, backlog, errors
  audit [--dir <dir>] [--since <time>] [--by category|topic|hour] [--json]
                                 what the robot sent and received over MQTT, per category, topic or hour; what
                                 its data policy removed or refused; checks the audit log's hash chain
  blackbox list | get <id> | export <id> --out <file> [--dir <dir>]
                                 the incident files the black_box node wrote (MCAP): list them, show one,
                                 copy one out
  <command> --help               the options of launch, doctor, status, audit, blackbox, sim, contract and
                                 broker-acl revoke
  --help, --version

exit status:
  0  success (run: stopped by SIGINT or SIGTERM)
  1  a failure while running: a bad parameter file or value, a node that fails to start,
     ROS 2 / rclnodejs not available
  2  the command line itself is wrong: unknown command or flag, bad flag value, malformed --ros-args`;

function usageError(why: string): KizunaError {
  return new KizunaError('KZ_ERR_CLI_USAGE', `${why}\n\n${USAGE}`);
}

/** Splits kizuna's own flags from everything from `--ros-args` on. */
function splitArgs(args: string[]): { own: string[]; ros: string[] } {
  const at = args.indexOf('--ros-args');
  return at < 0 ? { own: args, ros: [] } : { own: args.slice(0, at), ros: args.slice(at) };
}

/**
 * Resolves on SIGINT or SIGTERM. Holds the event loop open meanwhile: a node may have nothing else that
 * does (a sim-time node before the first /clock message has no timer armed), and `run` must not exit 0
 * while saying Ctrl-C stops it.
 */
function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const stop = (): void => {
      clearInterval(keepAlive);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Exit status 2 for a wrong command line (usage, --ros-args), 1 for everything else that fails. */
function exitCodeOf(err: unknown): number {
  return isKizunaError(err, 'KZ_ERR_CLI_USAGE') ||
    isKizunaError(err, 'KZ_ERR_ROS_ARGS') ||
    isKizunaError(err, 'KZ_ERR_BLACKBOX_NOT_FOUND')
    ? 2
    : 1;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  switch (cmd) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      print(USAGE);
      return cmd === undefined ? 2 : 0;
    case '--version':
      print(kizunaVersion());
      return 0;
    case 'nodes':
      for (const name of Object.keys(NODES).sort()) print(name);
      return 0;
    case 'demo': {
      let durationSec = 3;
      for (let i = 0; i < rest.length; i++) {
        if (rest[i] === '--duration') {
          durationSec = Number(rest[++i]);
          if (!Number.isFinite(durationSec) || durationSec <= 0 || durationSec > 600) {
            throw usageError(`--duration needs a number of seconds in (0, 600], got '${rest[i] ?? ''}'`);
          }
        } else throw usageError(`unknown demo option '${rest[i]}'`);
      }
      const logger = createLogger({ level: 'warn', json: !process.stderr.isTTY });
      await runDemo({ durationSec, logger, out: print });
      return 0;
    }
    case 'run': {
      const { own, ros } = splitArgs(rest);
      const [name, ...flags] = own;
      if (!name) throw usageError('run needs a node name (see kizuna nodes)');
      const def = NODES[name];
      if (!def) throw usageError(`unknown node '${name}'; known: ${Object.keys(NODES).join(', ')}`);
      let graph: 'inprocess' | 'rclnodejs' = 'inprocess';
      let jsonLogs: boolean | undefined;
      let managed = false;
      for (let i = 0; i < flags.length; i++) {
        if (flags[i] === '--graph') {
          const g = flags[++i];
          if (g !== 'inprocess' && g !== 'rclnodejs')
            throw usageError(`--graph must be inprocess or rclnodejs, got '${g ?? ''}'`);
          graph = g;
        } else if (flags[i] === '--json-logs') jsonLogs = true;
        else if (flags[i] === '--managed' || flags[i] === '--managed=true') managed = true;
        else if (flags[i] === '--managed=false') managed = false;
        else throw usageError(`unknown run option '${flags[i]}'`);
      }
      const launched = await launchNode(def, {
        graph,
        argv: ros,
        managed,
        ...(jsonLogs !== undefined ? { jsonLogs } : {}),
      });
      launched.logger.info(
        `running ${launched.node.fullyQualifiedName} on the ${graph} graph${managed ? ', managed (unconfigured until configured)' : ''}; Ctrl-C stops it`,
      );
      await untilSignal();
      await launched.graph.shutdown();
      return 0;
    }
    case 'contract':
      if (rest.includes('--help') || rest.includes('-h')) {
        print(CONTRACT_USAGE);
        return 0;
      }
      for (const file of runContract(rest, USAGE)) print(file);
      return 0;
    case 'broker-acl': {
      if (rest[0] === 'revoke') {
        if (rest.includes('--help') || rest.includes('-h')) {
          print(REVOKE_USAGE);
          return 0;
        }
        return runBrokerRevoke(rest.slice(1), print);
      }
      const text = runBrokerAcl(rest, USAGE);
      if (!rest.includes('--out')) print(text.trimEnd());
      return 0;
    }
    case 'sim':
      return runSimCli(rest, USAGE);
    case 'launch':
      if (rest.includes('--help') || rest.includes('-h')) {
        print(LAUNCH_USAGE);
        return 0;
      }
      return runLaunch(rest, { out: print, err: (line) => void process.stderr.write(`${line}\n`) });
    case 'doctor':
      if (rest.includes('--help') || rest.includes('-h')) {
        print(DOCTOR_USAGE);
        return 0;
      }
      return runDoctor(rest, print);
    case 'status':
      if (rest.includes('--help') || rest.includes('-h')) {
        print(STATUS_USAGE);
        return 0;
      }
      return runStatus(rest, { out: print, tty: !!process.stdout.isTTY, stopSignal: untilSignal });
    case 'audit':
      if (rest.includes('--help') || rest.includes('-h')) {
        print(AUDIT_USAGE);
        return 0;
      }
      return runAudit(rest, print, (line) => void process.stderr.write(`${line}\n`));
    case 'blackbox':
      if (rest.includes('--help') || rest.includes('-h')) {
        print(BLACKBOX_USAGE);
        return 0;
      }
      return runBlackbox(rest, print);
    default:
      throw usageError(`unknown command '${cmd}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Messages may quote a file's or a command line's own text: control characters never reach the terminal.
    if (isKizunaError(err)) process.stderr.write(`kizuna: ${err.code}: ${printable(err.message, 8000, true)}\n`);
    else process.stderr.write(`kizuna: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = exitCodeOf(err);
  },
);

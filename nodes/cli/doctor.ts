/**
 * `kizuna doctor`: checks a robot's setup and prints pass / warn / fail with the fix for each — Node.js,
 * ROS 2 and rclnodejs, kizuna_msgs, the parameters (through each node's zod schema), certificates, the
 * broker (TLS, credentials), the clock and the disk space for cloud_bridge's outbox. Exit status 1 when
 * any check fails.
 */
import { KizunaError } from '../core/errors';
import type { ProfileName } from '../core/profiles';
import {
  checkBrokers,
  checkCertificates,
  checkClock,
  checkDisk,
  checkIdentity,
  checkKizunaMsgs,
  checkNodeVersion,
  checkRos,
  checkStoreName,
  defaultStorePath,
  formatChecks,
  type Check,
} from './doctor-checks';
import { brokerProblem, levelProblem, planLaunch, profileParamsFile, profileProblem } from './launch-plan';

export const DOCTOR_USAGE = `usage: kizuna doctor [--profile <profile>] [--params <file>] [--broker <url>] [--robot-id <id>]

Checks this robot's kizuna setup and prints pass / warn / fail with the fix for each check:
Node.js version, ROS_DISTRO and rclnodejs, kizuna_msgs built and sourced, parameters valid (every
node's schema), certificate files readable, matching and not expiring within 30 days, the broker
reachable with TLS and credentials, the certificate's CN against <fleet>.<robot id> (the identity the
bridge uses), the outbox file (an older release's name still in use), the clock synchronised, disk
space for the outbox.

options:
  --profile <profile>   care, factory, delivery, farm or construction: check its shipped parameter file
  --params <file>       check this parameter file instead (with --profile: the profile is still set)
  --broker <url>[,...]  broker, or failover list, to try (default: cloud_bridge's broker_url in the file)
  --robot-id <id>       the robot's id (robot_id): the certificate CN is checked against <fleet>.<id>
                        and the outbox file named after it (default: doctor, and the CN is not compared)
  --fleet <id>          its fleet (fleet; default: default)
  --timeout <s>         broker connect timeout in seconds (default 5)
  --no-broker           skip the broker check (at boot, where the robot must start with its link down)

Without --profile and --params only the environment is checked.

exit status: 0 no check failed (warnings allowed), 1 a check failed, 2 wrong command line`;

function usage(why: string): KizunaError {
  return new KizunaError('KZ_ERR_CLI_USAGE', `${why}\n\n${DOCTOR_USAGE}`);
}

export interface DoctorOptions {
  profile?: ProfileName;
  paramsFile?: string;
  brokerUrl?: string;
  robotId: string;
  /** Whether --robot-id was given (else the certificate's CN is not compared with the ids). */
  robotIdGiven?: boolean;
  fleet: string;
  timeoutSec: number;
  /** Skip the broker connection (shown as skipped). */
  noBroker?: boolean;
}

/** Parses `kizuna doctor` flags; throws KZ_ERR_CLI_USAGE naming the flag. */
export function parseDoctorArgs(args: ReadonlyArray<string>): DoctorOptions {
  const o: DoctorOptions = { robotId: 'doctor', fleet: 'default', timeoutSec: 5 };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    if (flag === '--no-broker') {
      o.noBroker = true;
      continue;
    }
    const v = args[i + 1] !== undefined && !(args[i + 1] as string).startsWith('--') ? args[++i] : undefined;
    switch (flag) {
      case '--profile': {
        const p = profileProblem(v);
        if (p) throw usage(p);
        o.profile = v as ProfileName;
        break;
      }
      case '--params':
        if (!v) throw usage('--params needs a file: a ROS 2 parameter YAML');
        o.paramsFile = v;
        break;
      case '--broker': {
        const p = brokerProblem(v);
        if (p) throw usage(p);
        o.brokerUrl = v;
        break;
      }
      case '--robot-id': {
        const p = levelProblem('--robot-id', v);
        if (p) throw usage(p);
        o.robotId = v as string;
        o.robotIdGiven = true;
        break;
      }
      case '--fleet': {
        const p = levelProblem('--fleet', v);
        if (p) throw usage(p);
        o.fleet = v as string;
        break;
      }
      case '--timeout': {
        const n = Number(v);
        if (!v || !Number.isFinite(n) || n <= 0 || n > 120)
          throw usage(`--timeout needs seconds in (0, 120], got '${v ?? ''}'`);
        o.timeoutSec = n;
        break;
      }
      default:
        throw usage(`unknown doctor option '${flag}'`);
    }
  }
  return o;
}

/** Runs every check; the parameters and broker ones only when there is something to check. */
export async function doctorChecks(o: DoctorOptions, env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const checks: Check[] = [checkNodeVersion(), ...checkRos(env), ...checkKizunaMsgs(env)];
  const paramsFile = o.paramsFile ?? (o.profile ? profileParamsFile(o.profile) : undefined);
  if (paramsFile) {
    const plan = planLaunch({
      profile: o.profile ?? 'care',
      robotId: o.robotId,
      fleet: o.fleet,
      paramsFile,
      ...(o.brokerUrl ? { brokerUrl: o.brokerUrl } : {}),
      graph: 'rclnodejs',
      withCloudBridge: true,
      logLevel: 'info',
    });
    if (!o.profile) {
      checks.push({
        name: 'profile',
        level: 'warn',
        detail: "no --profile: the executive's and cloud_bridge's profile are checked as 'care'",
        fix: 'pass --profile with the robot profile',
      });
    }
    checks.push(...plan.checks);
    if (plan.bridge) {
      checks.push(...checkCertificates(plan.bridge.files, plan.bridge.broker.url));
      const clientId = plan.nodes.find((n) => n.name === 'cloud_bridge')?.params?.client_id;
      checks.push(
        ...checkIdentity(
          plan.bridge.files.tls_cert_file,
          o.fleet,
          o.robotIdGiven ? o.robotId : undefined,
          typeof clientId === 'string' ? clientId : '',
        ),
      );
      if (o.robotIdGiven) checks.push(checkStoreName(plan.bridge.storePath, o.fleet, o.robotId, env));
      checks.push(
        ...(o.noBroker
          ? [{ name: 'broker', level: 'skip' as const, detail: `${plan.bridge.broker.url}: not tried (--no-broker)` }]
          : await checkBrokers(plan.bridge.broker, o.timeoutSec * 1000)),
      );
      checks.push(
        checkDisk(plan.bridge.storePath || defaultStorePath(o.robotId, env, o.fleet), plan.bridge.outboxMaxBytes),
      );
    }
  } else if (o.brokerUrl && !o.noBroker) {
    checks.push(
      ...(await checkBrokers(
        {
          url: o.brokerUrl,
          robotId: o.robotId,
          mqttVersion: 5,
          username: '',
          passwordFile: '',
          caFile: '',
          certFile: '',
          keyFile: '',
          servername: '',
        },
        o.timeoutSec * 1000,
      )),
    );
  } else {
    checks.push({
      name: 'parameters',
      level: 'skip',
      detail: 'no --profile or --params given',
      fix: 'pass --profile and --params to check them, the certificates and the broker',
    });
  }
  checks.push(checkClock());
  return checks;
}

/** `kizuna doctor ...`: prints the table, resolves 0, or throws KZ_ERR_DOCTOR_FAILED (exit 1) on a fail. */
export async function runDoctor(
  args: ReadonlyArray<string>,
  out: (line: string) => void,
  env?: NodeJS.ProcessEnv,
): Promise<number> {
  const o = parseDoctorArgs(args);
  const checks = await doctorChecks(o, env);
  out(formatChecks(checks));
  const failed = checks.filter((c) => c.level === 'fail');
  if (failed.length) {
    throw new KizunaError(
      'KZ_ERR_DOCTOR_FAILED',
      `${failed.length} check(s) failed: ${failed.map((c) => c.name).join(', ')}`,
    );
  }
  return 0;
}

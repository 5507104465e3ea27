/**
 * The checks behind `kizuna doctor` and `kizuna launch`: each returns pass / warn / fail with what it saw
 * and, unless it passed, the fix. Inputs (environment, time, file paths) are arguments so tests run them
 * against real files, certificates and brokers.
 */
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import mqtt from 'mqtt';
import { parseRobotIdentity, robotIdentity } from '../core/contract';
import { splitBrokerUrls } from '../core/broker-urls';
import { connackRefusal, refusalText } from '../core/mqtt-refusal';
import { storePaths } from '../cloud_bridge/config';
import { STORE_DISK_ALLOWANCE_BYTES } from '../cloud_bridge/store-disk';

export type CheckLevel = 'pass' | 'warn' | 'fail' | 'skip';

export interface Check {
  name: string;
  level: CheckLevel;
  /** What was seen. */
  detail: string;
  /** What to do about it (warn and fail). */
  fix?: string;
}

/** The lowest Node.js version kizuna supports (package.json engines). */
export const MIN_NODE = [20, 20, 0] as const;
/** [days] a certificate expiring sooner than this is a warning. */
export const CERT_WARN_DAYS = 30;
const DAY_MS = 86_400_000;

/** Node.js version against MIN_NODE. */
export function checkNodeVersion(version: string = process.versions.node): Check {
  const parts = version.split('.').map(Number);
  let ok = true;
  for (let i = 0; i < 3; i++) {
    const have = parts[i] ?? 0;
    const need = MIN_NODE[i] ?? 0;
    if (have !== need) {
      ok = have > need;
      break;
    }
  }
  return ok
    ? { name: 'Node.js', level: 'pass', detail: `v${version}` }
    : {
        name: 'Node.js',
        level: 'fail',
        detail: `v${version} is older than ${MIN_NODE.join('.')}`,
        fix: `install Node.js ${MIN_NODE.join('.')} or newer (docs/deploy.md, step 1)`,
      };
}

/** ROS_DISTRO and whether rclnodejs's native addon loads (in a child process: a bad addon cannot take this one down). */
export function checkRos(env: NodeJS.ProcessEnv = process.env): Check[] {
  const out: Check[] = [];
  const distro = env.ROS_DISTRO;
  if (!distro) {
    out.push({
      name: 'ROS 2 environment',
      level: 'fail',
      detail: 'ROS_DISTRO is not set: ROS 2 is not sourced in this shell',
      fix: 'source /opt/ros/jazzy/setup.bash (or humble), then your workspace install/setup.bash',
    });
  } else if (distro === 'jazzy' || distro === 'humble') {
    out.push({ name: 'ROS 2 environment', level: 'pass', detail: `ROS_DISTRO=${distro}` });
  } else {
    out.push({
      name: 'ROS 2 environment',
      level: 'warn',
      detail: `ROS_DISTRO=${distro}: kizuna is built for jazzy and humble`,
      fix: 'use ROS 2 Jazzy or Humble',
    });
  }
  const req = createRequire(__filename);
  let addon: string | undefined;
  try {
    addon = join(dirname(req.resolve('rclnodejs/package.json')), 'build', 'Release', 'rclnodejs.node');
  } catch {
    addon = undefined;
  }
  const fixInstall = 'with ROS 2 and kizuna_msgs sourced, run `npm ci` in the kizuna folder (docs/deploy.md, step 4)';
  if (!addon) {
    out.push({ name: 'rclnodejs', level: 'fail', detail: 'rclnodejs is not installed', fix: fixInstall });
  } else if (!existsSync(addon)) {
    out.push({ name: 'rclnodejs', level: 'fail', detail: 'its native addon was never built', fix: fixInstall });
  } else {
    const r = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', addon], {
      env,
      encoding: 'utf8',
      timeout: 20000,
    });
    out.push(
      r.status === 0
        ? { name: 'rclnodejs', level: 'pass', detail: 'its native addon loads' }
        : {
            name: 'rclnodejs',
            level: 'fail',
            detail: `its native addon does not load: ${firstLine(r.stderr)}`,
            fix: 'source ROS 2 in this shell; if it still fails, rebuild: ' + fixInstall,
          },
    );
  }
  return out;
}

/** kizuna_msgs built and sourced (in AMENT_PREFIX_PATH), and generated for rclnodejs. */
export function checkKizunaMsgs(env: NodeJS.ProcessEnv = process.env): Check[] {
  const prefixes = (env.AMENT_PREFIX_PATH ?? '').split(':').filter(Boolean);
  const found = prefixes.find((p) => existsSync(join(p, 'share', 'kizuna_msgs', 'package.xml')));
  const out: Check[] = [
    found
      ? { name: 'kizuna_msgs sourced', level: 'pass', detail: `in ${found}` }
      : {
          name: 'kizuna_msgs sourced',
          level: 'fail',
          detail: prefixes.length
            ? `not in AMENT_PREFIX_PATH (${prefixes.length} prefix(es) searched)`
            : 'AMENT_PREFIX_PATH is empty',
          fix: 'colcon build --packages-select kizuna_msgs, then source install/setup.bash (docs/deploy.md, step 3)',
        },
  ];
  let generated: string | undefined;
  try {
    generated = join(dirname(createRequire(__filename).resolve('rclnodejs/package.json')), 'generated', 'kizuna_msgs');
  } catch {
    generated = undefined;
  }
  if (generated) {
    out.push(
      existsSync(generated)
        ? { name: 'kizuna_msgs for rclnodejs', level: 'pass', detail: 'generated' }
        : {
            name: 'kizuna_msgs for rclnodejs',
            level: 'fail',
            detail: 'rclnodejs has no generated kizuna_msgs',
            fix: 'with kizuna_msgs sourced: (cd node_modules/rclnodejs && node scripts/generate_messages.cjs)',
          },
    );
  }
  return out;
}

/** One file readable. */
function readable(path: string): string | undefined {
  try {
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

/** The TLS and key files cloud_bridge is configured with. */
export interface BridgeFiles {
  tls_ca_file: string;
  tls_cert_file: string;
  tls_key_file: string;
  password_file: string;
  trusted_keys_file: string;
  allow_unsigned: boolean;
}

/** Certificate files: readable, parseable, key matching, not expired or expiring within CERT_WARN_DAYS. */
export function checkCertificates(files: BridgeFiles, brokerUrl: string, nowMs: number = Date.now()): Check[] {
  const out: Check[] = [];
  const tls = /^(mqtts|wss):/.test(brokerUrl);
  for (const [key, why] of [
    ['tls_ca_file', 'CA bundle'],
    ['tls_cert_file', 'client certificate'],
    ['tls_key_file', 'client key'],
    ['password_file', 'MQTT password'],
    ['trusted_keys_file', 'decision signing keys'],
  ] as const) {
    const path = files[key];
    if (!path) continue;
    const err = readable(path);
    if (err) {
      out.push({
        name: `${key}`,
        level: 'fail',
        detail: `${why} ${path}: not readable (${err})`,
        fix: `make ${path} readable by the user kizuna runs as, or fix cloud_bridge.${key} in the parameter file`,
      });
    }
  }
  if (!files.trusted_keys_file && !files.allow_unsigned) {
    out.push({
      name: 'trusted_keys_file',
      level: 'fail',
      detail: 'not set, and allow_unsigned is false: the bridge refuses to start',
      fix: "set cloud_bridge.trusted_keys_file to the national model's public keys (docs/contract.md)",
    });
  } else if (files.allow_unsigned) {
    out.push({
      name: 'allow_unsigned',
      level: 'warn',
      detail: 'unsigned decisions are accepted (development only)',
      fix: 'set cloud_bridge.allow_unsigned: false and trusted_keys_file on a robot in the field',
    });
  }
  if (tls && !files.tls_cert_file && !files.password_file) {
    out.push({
      name: 'credentials',
      level: 'warn',
      detail: 'TLS broker but neither a client certificate nor a password file',
      fix: 'set cloud_bridge.tls_cert_file + tls_key_file (mutual TLS) or username + password_file',
    });
  }
  if (files.tls_cert_file && readable(files.tls_cert_file) === undefined) {
    let cert: X509Certificate | undefined;
    try {
      cert = new X509Certificate(readFileSync(files.tls_cert_file));
    } catch (err) {
      out.push({
        name: 'client certificate',
        level: 'fail',
        detail: `${files.tls_cert_file}: not a PEM certificate (${firstLine(String((err as Error).message))})`,
        fix: 'point cloud_bridge.tls_cert_file at the PEM certificate issued to this robot',
      });
    }
    if (cert) {
      const until = Date.parse(cert.validTo);
      const days = Math.floor((until - nowMs) / DAY_MS);
      const subject = cert.subject.replace(/\n/g, ', ');
      if (until <= nowMs) {
        out.push({
          name: 'client certificate',
          level: 'fail',
          detail: `${subject}: expired ${cert.validTo}`,
          fix: 'have the fleet CA issue a new certificate for this robot (docs/deploy.md, step 6)',
        });
      } else if (Date.parse(cert.validFrom) > nowMs) {
        out.push({
          name: 'client certificate',
          level: 'fail',
          detail: `${subject}: not valid before ${cert.validFrom} (is the clock right?)`,
          fix: 'check the system clock (timedatectl), or wait for the certificate to become valid',
        });
      } else if (days < CERT_WARN_DAYS) {
        out.push({
          name: 'client certificate',
          level: 'warn',
          detail: `${subject}: expires in ${days} day(s), ${cert.validTo}`,
          fix: 'renew it now (docs/deploy.md, step 6): the robot loses its link when it expires',
        });
      } else {
        out.push({ name: 'client certificate', level: 'pass', detail: `${subject}, ${days} days left` });
      }
      if (files.tls_key_file && readable(files.tls_key_file) === undefined) {
        try {
          const key = createPrivateKey(readFileSync(files.tls_key_file));
          const matches =
            cert.checkPrivateKey(key) ||
            createPublicKey(key)
              .export({ format: 'der', type: 'spki' })
              .equals(cert.publicKey.export({ format: 'der', type: 'spki' }));
          out.push(
            matches
              ? { name: 'client key', level: 'pass', detail: 'matches the certificate' }
              : {
                  name: 'client key',
                  level: 'fail',
                  detail: `${files.tls_key_file} does not belong to ${files.tls_cert_file}`,
                  fix: 'use the key the certificate request was made with',
                },
          );
        } catch (err) {
          out.push({
            name: 'client key',
            level: 'fail',
            detail: `${files.tls_key_file}: not a PEM private key (${firstLine((err as Error).message)})`,
            fix: 'point cloud_bridge.tls_key_file at the PEM private key of the certificate',
          });
        }
      } else if (!files.tls_key_file) {
        out.push({
          name: 'client key',
          level: 'fail',
          detail: 'tls_cert_file is set but tls_key_file is not',
          fix: 'set cloud_bridge.tls_key_file',
        });
      }
    }
  }
  if (files.tls_ca_file && readable(files.tls_ca_file) === undefined) {
    try {
      const ca = new X509Certificate(readFileSync(files.tls_ca_file));
      if (Date.parse(ca.validTo) <= nowMs) {
        out.push({
          name: 'CA certificate',
          level: 'fail',
          detail: `expired ${ca.validTo}`,
          fix: 'install the fleet CA bundle currently in use',
        });
      }
    } catch (err) {
      out.push({
        name: 'CA certificate',
        level: 'fail',
        detail: `${files.tls_ca_file}: not a PEM certificate (${firstLine((err as Error).message)})`,
        fix: 'point cloud_bridge.tls_ca_file at the PEM CA bundle',
      });
    }
  }
  if (out.length === 0) out.push({ name: 'certificates', level: 'pass', detail: 'no files configured' });
  return out;
}

/** How to reach the broker, from cloud_bridge's parameters. */
export interface BrokerSettings {
  url: string;
  robotId: string;
  mqttVersion: 4 | 5;
  username: string;
  passwordFile: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  servername: string;
}

/**
 * Checks every URL of `b.url` (one URL or cloud_bridge's comma-separated failover list). With a list,
 * nodes that do not answer are a warning as long as one connects (the backup of an HA pair listens only
 * once it has taken over); none connecting fails.
 */
export async function checkBrokers(b: BrokerSettings, timeoutMs = 5000): Promise<Check[]> {
  const urls = splitBrokerUrls(b.url);
  if (urls.length <= 1) return [await checkBroker(b, timeoutMs)];
  const checks = await Promise.all(urls.map((url) => checkBroker({ ...b, url }, timeoutMs)));
  const anyUp = checks.some((c) => c.level !== 'fail');
  return checks.map((c, i) => ({
    ...c,
    name: `broker ${i + 1}/${urls.length}`,
    ...(c.level === 'fail' && anyUp
      ? {
          level: 'warn' as const,
          fix: `${c.fix ?? ''}; the robot fails over to the nodes that answer (a standby backup refuses until it takes over)`,
        }
      : {}),
  }));
}

/**
 * Connects to the broker the way cloud_bridge does (TLS, certificate, credentials) under a client id of
 * its own, so the robot's session is not taken over, then disconnects without publishing. Also reports
 * the round trip; MQTT carries no broker time, so the clock is checked against NTP separately.
 */
export async function checkBroker(b: BrokerSettings, timeoutMs = 5000): Promise<Check> {
  const name = 'broker';
  const opts: mqtt.IClientOptions = {
    clientId: `kizuna-doctor-${b.robotId}-${Math.random().toString(16).slice(2, 10)}`,
    protocolVersion: b.mqttVersion,
    connectTimeout: timeoutMs,
    reconnectPeriod: 0,
    clean: true,
  };
  try {
    if (b.username) opts.username = b.username;
    if (b.passwordFile) opts.password = readFileSync(b.passwordFile, 'utf8').split('\n')[0] ?? '';
    if (b.caFile) opts.ca = readFileSync(b.caFile);
    if (b.certFile) opts.cert = readFileSync(b.certFile);
    if (b.keyFile) opts.key = readFileSync(b.keyFile);
    if (b.servername) opts.servername = b.servername;
  } catch (err) {
    return {
      name,
      level: 'fail',
      detail: `cannot read a credential file: ${(err as Error).message}`,
      fix: 'see the certificate checks above',
    };
  }
  const started = Date.now();
  const client = mqtt.connect(b.url, opts);
  const result = await new Promise<Check>((resolve) => {
    const timer = setTimeout(
      () =>
        resolve({
          name,
          level: 'fail',
          detail: `${b.url}: no answer within ${timeoutMs / 1000} s`,
          fix: 'check the URL and port, the network route and the firewall (8883 for TLS)',
        }),
      timeoutMs + 500,
    );
    client.once('connect', () => {
      clearTimeout(timer);
      const tls = /^(mqtts|wss):/.test(b.url);
      resolve({
        name,
        level: tls ? 'pass' : 'warn',
        detail: `${b.url}: connected${tls ? ' over TLS' : ''}${b.certFile ? ' with the client certificate' : ''}${
          b.username ? ` as ${b.username}` : ''
        } in ${Date.now() - started} ms`,
        ...(tls ? {} : { fix: 'use mqtts:// in the field: without TLS anyone on the path reads and forges messages' }),
      });
    });
    client.once('error', (err: Error & { code?: string | number }) => {
      clearTimeout(timer);
      const refusal = connackRefusal(err);
      if (refusal) {
        resolve({
          name,
          level: 'fail',
          detail: `${b.url}: ${refusalText(refusal)} (KZ_ERR_MQTT_REFUSED, MQTT ${b.mqttVersion === 5 ? '5' : '3.1.1'})`,
          fix: refusal.fix,
        });
        return;
      }
      const text = err.message;
      let fix = 'check broker_url, the certificates and credentials, and the broker ACL (launch/mosquitto/)';
      if (/ECONNREFUSED/.test(text)) fix = 'nothing listens there: check the host and port in --broker / broker_url';
      else if (/ENOTFOUND|EAI_AGAIN/.test(text)) fix = 'the host name does not resolve: check broker_url and DNS';
      else if (/certificate|self.signed|CERT_|unable to verify/i.test(text))
        fix = 'the broker certificate does not chain to tls_ca_file or does not match the host (tls_servername)';
      else if (/[Nn]ot authori[sz]ed|Bad user name or password|[Bb]ad username/.test(text))
        fix =
          'the broker refused the credentials: check username/password_file, or that the certificate CN is <fleet>.<robotId> and in the roster (kizuna broker-acl)';
      resolve({ name, level: 'fail', detail: `${b.url}: ${firstLine(text)}`, fix });
    });
  });
  await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  return result;
}

/**
 * The system clock. MQTT carries no broker time, so the offset cannot be measured against the broker;
 * what is checked is whether the clock is NTP-synchronised (timedatectl), which keeps it within the
 * bridge's clock_skew_s of the national model.
 */
export function checkClock(): Check {
  const r = spawnSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { encoding: 'utf8', timeout: 5000 });
  const name = 'clock';
  const note = 'offset against the broker not measurable: MQTT carries no server time';
  if (r.status === 0 && r.stdout.trim() === 'yes') return { name, level: 'pass', detail: `NTP-synchronised; ${note}` };
  if (r.status === 0 && r.stdout.trim() === 'no') {
    return {
      name,
      level: 'warn',
      detail: `not NTP-synchronised; ${note}`,
      fix: 'enable time sync (timedatectl set-ntp true): decisions are refused when the clock is off by more than clock_skew_s',
    };
  }
  return {
    name,
    level: 'warn',
    detail: `synchronisation unknown (no timedatectl answer); ${note}`,
    fix: 'check the clock is synchronised (chrony or systemd-timesyncd)',
  };
}

/**
 * Where cloud_bridge keeps its outbox when store_path is empty: with `fleet`, the file the bridge opens
 * (`cloud_bridge-<fleet>.<robot>.sqlite`, or an older release's `cloud_bridge-<robot>.sqlite` still in
 * use); without, the older name in the same folder (enough for the disk check, which looks at the folder).
 */
export function defaultStorePath(robotId: string, env: NodeJS.ProcessEnv = process.env, fleet?: string): string {
  const { current, legacy } = storePaths(fleet ?? '', robotId, env);
  if (fleet === undefined) return legacy;
  return !existsSync(current) && existsSync(legacy) ? legacy : current;
}

/** The common names of a certificate's subject (Node escapes special characters, so a quoted value is kept as read). */
function commonNames(cert: X509Certificate): string[] {
  return cert.subject
    .split('\n')
    .filter((l) => l.startsWith('CN='))
    .map((l) => l.slice(3));
}

/**
 * The robot's broker identity: its client certificate's subject must be one CN and nothing else (the
 * shipped broker names the robot by its whole subject, `CN=<fleet>.<robotId>`), follow the naming policy
 * (`<fleet>.<robotId>`, each 1 to 64 letters, digits, `_`, `-`; `broadcast` reserved) and equal this
 * robot's `<fleet>.<robotId>`, the identity cloud_bridge uses (client id, topics, store). `robotId`
 * undefined: the ids were not given, only the policy is checked. `clientId`: cloud_bridge's client_id
 * parameter (empty: the identity).
 */
export function checkIdentity(certFile: string, fleet: string, robotId: string | undefined, clientId = ''): Check[] {
  const name = 'certificate identity';
  if (!certFile) {
    return [{ name, level: 'skip', detail: 'no client certificate (tls_cert_file): nothing to compare' }];
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(readFileSync(certFile));
  } catch {
    return [{ name, level: 'skip', detail: 'the client certificate cannot be read (see above)' }];
  }
  const out: Check[] = [];
  const cns = commonNames(cert);
  const expected = robotId === undefined ? undefined : robotIdentity(fleet, robotId);
  const issue = `have the fleet CA issue a certificate with the one CN ${expected ?? '<fleet>.<robotId>'} (docs/deploy.md, step 6)`;
  if (cns.length === 0) {
    out.push({
      name,
      level: 'fail',
      detail: `${certFile}: no CN in the subject (${cert.subject.replace(/\n/g, ', ')})`,
      fix: issue,
    });
  } else if (cns.length > 1) {
    out.push({
      name,
      level: 'fail',
      detail: `${cns.length} CNs (${cns.join(', ')}): the broker takes one of them as the robot's identity`,
      fix: issue,
    });
  } else {
    const cn = cns[0]!;
    const parsed = parseRobotIdentity(cn);
    if (!parsed) {
      const why =
        robotId !== undefined && cn === robotId
          ? 'the robot id alone (a certificate from before the fleet was part of the identity)'
          : 'not <fleet>.<robotId> with letters, digits, "_" and "-" only, one "." between them, robot id not "broadcast"';
      out.push({ name, level: 'fail', detail: `CN ${cn}: ${why}`, fix: issue });
    } else if (expected === undefined) {
      out.push({
        name,
        level: 'warn',
        detail: `CN ${cn} follows the naming policy; not compared with this robot's ids`,
        fix: 'pass --robot-id and --fleet (the robot_id and fleet the robot is launched with)',
      });
    } else if (cert.subject.split('\n').length > 1) {
      out.push({
        name,
        level: 'fail',
        detail: `the subject has more than the CN (${cert.subject.replace(/\n/g, ', ')}): the shipped broker names the robot by its whole subject, which is then not CN=${cn} of the roster, and lets it do nothing`,
        fix: `have the fleet CA issue a certificate whose subject is only CN=${expected ?? cn} (docs/deploy.md, step 6)`,
      });
    } else if (cn !== expected) {
      out.push({
        name,
        level: 'fail',
        detail: `CN ${cn} is not this robot's identity ${expected} (fleet ${fleet}, robot ${robotId}): the broker would let it act only as ${cn}`,
        fix: `install this robot's own certificate, or correct --robot-id / --fleet; else ${issue}`,
      });
    } else {
      out.push({ name, level: 'pass', detail: `CN ${cn} = <fleet>.<robot_id>, the identity cloud_bridge uses` });
    }
  }
  if (clientId && expected !== undefined && clientId !== expected) {
    out.push({
      name: 'client id',
      level: 'warn',
      detail: `cloud_bridge.client_id ${clientId} is not the identity ${expected}: the shipped broker replaces it with the certificate subject (CN=${expected}), another broker would name the session ${clientId}`,
      fix: 'leave cloud_bridge.client_id empty (the default is the identity)',
    });
  }
  return out;
}

/**
 * The outbox file cloud_bridge opens when store_path is empty: an older release's
 * `cloud_bridge-<robot>.sqlite` still in use (no fleet in the name) is reported, and so is one left
 * beside the new file.
 */
export function checkStoreName(
  storePath: string,
  fleet: string,
  robotId: string,
  env: NodeJS.ProcessEnv = process.env,
): Check {
  const name = 'outbox file';
  if (storePath) return { name, level: 'pass', detail: `${storePath} (store_path)` };
  const { current, legacy } = storePaths(fleet, robotId, env);
  const hasCurrent = existsSync(current);
  const hasLegacy = existsSync(legacy);
  if (hasLegacy && !hasCurrent) {
    return {
      name,
      level: 'warn',
      detail: `${legacy}: the older name (no fleet) is still in use, kept so the outbox and its seq survive the update`,
      fix: `nothing is needed; to take the new name, stop cloud_bridge and rename it (with its -wal and -shm files) to ${current}`,
    };
  }
  if (hasLegacy && hasCurrent) {
    return {
      name,
      level: 'warn',
      detail: `${current} is in use; ${legacy} of an older release is no longer read (events still in it are not sent)`,
      fix: `once nothing in ${legacy} is needed, remove it (with its -wal and -shm files)`,
    };
  }
  return { name, level: 'pass', detail: hasCurrent ? current : `${current} (created at the first start)` };
}

/**
 * Free space where the outbox lives, against what its files may take (outbox_max_bytes + the store's
 * allowance for its WAL): fail below that, warn below twice it.
 */
export function checkDisk(storePath: string, outboxMaxBytes: number): Check {
  const need = outboxMaxBytes + STORE_DISK_ALLOWANCE_BYTES;
  let dir = dirname(storePath);
  while (!existsSync(dir) && dir !== dirname(dir)) dir = dirname(dir);
  const name = 'disk for the outbox';
  let free: number;
  try {
    const s = statfsSync(dir);
    free = s.bavail * s.bsize;
  } catch (err) {
    return { name, level: 'warn', detail: `cannot measure ${dir}: ${(err as Error).message}`, fix: 'check the path' };
  }
  const mib = (n: number): string => `${(n / 1048576).toFixed(0)} MiB`;
  const detail = `${mib(free)} free in ${dir}; the outbox may use ${mib(need)} (outbox_max_bytes and its WAL; ${storePath})`;
  if (free < need) {
    return {
      name,
      level: 'fail',
      detail,
      fix: 'free space, move cloud_bridge.store_path to a larger disk, or lower outbox_max_bytes',
    };
  }
  if (free < 2 * need) {
    return { name, level: 'warn', detail, fix: 'free space: the outbox and its SQLite journal need room to grow' };
  }
  return { name, level: 'pass', detail };
}

function firstLine(s: string): string {
  return (
    s
      .trim()
      .split('\n')
      .find((l) => l.trim() !== '') ?? ''
  )
    .trim()
    .slice(0, 200);
}

/** The checks as a table: one line each, the fix indented under it. */
export function formatChecks(checks: ReadonlyArray<Check>): string {
  const mark: Record<CheckLevel, string> = { pass: 'pass', warn: 'WARN', fail: 'FAIL', skip: 'skip' };
  const width = Math.max(...checks.map((c) => c.name.length), 5);
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${mark[c.level]}  ${c.name.padEnd(width)}  ${c.detail}`);
    if (c.fix && c.level !== 'pass') lines.push(`${' '.repeat(6 + width)}  fix: ${c.fix}`);
  }
  const n = (l: CheckLevel): number => checks.filter((c) => c.level === l).length;
  lines.push('', `${n('pass')} pass, ${n('warn')} warn, ${n('fail')} fail${n('skip') ? `, ${n('skip')} skipped` : ''}`);
  return lines.join('\n');
}

/**
 * From parameters to the bridge's configuration: files read (keys, password, TLS), the data policy,
 * the validator's settings and the link's options. Throws KZ_ERR_BRIDGE_CONFIG naming the file or
 * parameter that is wrong, so a misconfigured robot fails at start, not on its first decision.
 */
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KizunaError } from '../core/errors';
import { splitBrokerUrls } from '../core/broker-urls';
import { loadTrustedKeys, robotIdentity, type RobotTopics } from '../core/contract';
import { PROFILE_MAX_SPEED_MPS, type Params } from './params';
import { PROFILE_POLICIES, type DataPolicy } from './policy';
import type { LinkOptions } from './link';
import type { ValidatorConfig } from './validate';

/** The bytes of `path`, or KZ_ERR_BRIDGE_CONFIG naming `what` (the parameter) and why. */
export function readConfigFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new KizunaError('KZ_ERR_BRIDGE_CONFIG', `cannot read ${what} '${path}': ${(err as Error).message}`, {
      entity: path,
    });
  }
}

/** The two default store files of a robot: this release's name and the one of releases before the fleet was in it. */
export function storePaths(
  fleet: string,
  robotId: string,
  env: NodeJS.ProcessEnv = process.env,
): { current: string; legacy: string } {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return {
    current: join(base, 'kizuna', `cloud_bridge-${robotIdentity(fleet, robotId)}.sqlite`),
    legacy: join(base, 'kizuna', `cloud_bridge-${robotId}.sqlite`),
  };
}

/**
 * Default store file: $XDG_STATE_HOME (or ~/.local/state)/kizuna/cloud_bridge-<fleet>.<robot>.sqlite,
 * one per (fleet, robot). A store of an older release (cloud_bridge-<robot>.sqlite) is kept in use
 * while no new one exists, so an update loses neither its outbox nor its seq.
 */
export function defaultStorePath(fleet: string, robotId: string, env: NodeJS.ProcessEnv = process.env): string {
  const { current, legacy } = storePaths(fleet, robotId, env);
  return !existsSync(current) && existsSync(legacy) ? legacy : current;
}

/** The data policy of `p.profile` with the parameter overrides applied. */
export function effectivePolicy(p: Params): DataPolicy {
  const base = PROFILE_POLICIES[p.profile];
  return {
    ...base,
    posePrecisionM: p.pose_precision_m >= 0 ? p.pose_precision_m : base.posePrecisionM,
    freeText: p.send_free_text === 'profile' ? base.freeText : p.send_free_text === 'true',
    pauseDetail: p.send_pause_detail === 'profile' ? base.pauseDetail : p.send_pause_detail === 'true',
  };
}

/**
 * The MQTT client id: `client_id`, else `<fleet>.<robot_id>`, the robot's broker identity (stable per
 * robot: it names the persistent session; the shipped broker forces it from the certificate anyway).
 */
export function clientIdOf(p: Params): string {
  return p.client_id || robotIdentity(p.fleet, p.robot_id);
}

/** The trusted keys of `trusted_keys_file` (empty without one; required unless allow_unsigned). */
export function loadKeys(p: Params, nodeName: string): Map<string, KeyObject> {
  if (!p.trusted_keys_file) {
    if (p.allow_unsigned) return new Map();
    throw new KizunaError('KZ_ERR_BRIDGE_CONFIG', 'trusted_keys_file is required unless allow_unsigned is true', {
      node: nodeName,
      entity: 'trusted_keys_file',
    });
  }
  const text = readConfigFile(p.trusted_keys_file, 'trusted_keys_file').toString('utf8');
  try {
    return loadTrustedKeys(JSON.parse(text));
  } catch (err) {
    const why = (err as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues?.[0];
    throw new KizunaError(
      'KZ_ERR_BRIDGE_CONFIG',
      `trusted_keys_file '${p.trusted_keys_file}' is not a trusted keys file: ${
        why ? `${why.path.map(String).join('.')}: ${why.message}` : (err as Error).message
      }`,
      { node: nodeName, entity: p.trusted_keys_file },
    );
  }
}

/** What validateDecision needs, from the parameters and the trusted keys. */
export function validatorConfig(p: Params, keys: ReadonlyMap<string, KeyObject>): ValidatorConfig {
  return {
    robotId: p.robot_id,
    fleet: p.fleet,
    acceptWithoutFleet: p.accept_decisions_without_fleet,
    profile: p.profile,
    maxInboundBytes: p.max_inbound_bytes,
    clockSkewMs: p.clock_skew_s * 1000,
    maxLifetimeMs: p.max_decision_lifetime_s * 1000,
    maxSpeedMps: p.max_speed_mps > 0 ? p.max_speed_mps : PROFILE_MAX_SPEED_MPS[p.profile],
    allowUnsigned: p.allow_unsigned,
    trustedKeys: keys,
  };
}

/** The link's options: broker, TLS and credentials from files, the will, the decision and ack subscriptions. */
export function linkOptions(p: Params, topics: RobotTopics, will: Buffer): LinkOptions {
  const password = p.password_file
    ? Buffer.from(readConfigFile(p.password_file, 'password_file').toString('utf8').split(/\r?\n/)[0] ?? '')
    : undefined;
  return {
    urls: splitBrokerUrls(p.broker_url),
    order: p.broker_order,
    failoverDelayMs: p.failover_delay_s * 1000,
    protocolVersion: p.mqtt_version === 4 ? 4 : 5,
    topicAliases: p.topic_aliases,
    clientId: clientIdOf(p),
    sessionExpiryS: p.session_expiry_s,
    keepaliveS: p.keepalive_s,
    connectTimeoutS: p.connect_timeout_s,
    ...(p.username ? { username: p.username } : {}),
    ...(password ? { password } : {}),
    ...(p.tls_ca_file ? { ca: readConfigFile(p.tls_ca_file, 'tls_ca_file') } : {}),
    ...(p.tls_cert_file ? { cert: readConfigFile(p.tls_cert_file, 'tls_cert_file') } : {}),
    ...(p.tls_key_file ? { key: readConfigFile(p.tls_key_file, 'tls_key_file') } : {}),
    ...(p.tls_servername ? { servername: p.tls_servername } : {}),
    will: { topic: topics.status, payload: will },
    // The acknowledgements of this robot's events (contract 1.2), unless it never waits for them.
    subscriptions: [
      topics.decision,
      topics.broadcastDecision,
      ...(p.end_to_end_ack === 'off' ? [] : [topics.eventsAck]),
    ],
    backoffMinMs: p.reconnect_min_s * 1000,
    backoffMaxMs: Math.max(p.reconnect_min_s, p.reconnect_max_s) * 1000,
    stableMs: 5000,
  };
}

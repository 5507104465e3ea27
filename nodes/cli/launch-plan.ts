/**
 * What `kizuna launch` (and `kizuna doctor`) start and check for one robot: the stack's nodes, each
 * node's `--ros-args`, its parameters resolved from the ROS 2 parameter file through the node's own zod
 * schema, and cloud_bridge's settings for the certificate, broker and disk checks.
 */
import { brokerUrlsSchema, splitBrokerUrls } from '../core/broker-urls';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { isKizunaError } from '../core/errors';
import { resolveParameters } from '../core/graph/params';
import { loadParamsFile, overridesForNode, parseRosArgs, type ParamBlock } from '../core/graph/ros-args';
import type { ParamValue } from '../core/graph/params';
import { PROFILE_NAMES, type ProfileName } from '../core/profiles';
import { topicLevelSchema } from '../core/contract/topics';
import { NODES } from '../registry';
import { paramsSchema as gateSchema } from '../safety_gate/params';
import { paramsSchema as perceptionSchema } from '../perception/params';
import { paramsSchema as executiveSchema } from '../executive/params';
import { paramsSchema as healthSchema } from '../health/params';
import { paramsSchema as bridgeSchema } from '../cloud_bridge/params';
import { paramsSchema as blackBoxSchema } from '../black_box/params';
import type { BridgeFiles, BrokerSettings, Check } from './doctor-checks';

/**
 * The robot stack in start order. The safety gate is critical: the stack stops without it. black_box comes
 * right after it, so the recorder is configured before the nodes whose transitions it records and is brought
 * down after them (the manager goes down in reverse).
 */
export const STACK = ['safety_gate', 'black_box', 'perception', 'executive', 'health', 'cloud_bridge'] as const;
export type StackNode = (typeof STACK)[number];
export const CRITICAL_NODE: StackNode = 'safety_gate';
/** Brings the managed stack up and down (`kizuna launch` and the launch files, unless told `--no-lifecycle` / `lifecycle:=false`). */
export const MANAGER_NODE = 'lifecycle_manager';

/** Each stack node's parameter schema (undefined: not in this build). */
export function stackSchemas(): Record<StackNode, z.ZodObject | undefined> {
  return {
    safety_gate: gateSchema,
    black_box: blackBoxSchema,
    perception: perceptionSchema,
    executive: executiveSchema,
    health: healthSchema,
    cloud_bridge: bridgeSchema,
  };
}

/** The folder holding package.json, bin/ and launch/ (source tree, dist/ build, or share/kizuna). */
export function kizunaRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'launch', 'params')) && existsSync(join(dir, 'package.json'))) return dir;
  }
  return resolve(__dirname, '..', '..');
}

/** The profile's parameter file shipped with kizuna. */
export function profileParamsFile(profile: ProfileName): string {
  return join(kizunaRoot(), 'launch', 'params', `${profile}.yaml`);
}

export interface LaunchRequest {
  profile: ProfileName;
  robotId: string;
  fleet: string;
  paramsFile: string;
  /** From --broker; undefined: cloud_bridge's broker_url from the file (or its default). */
  brokerUrl?: string;
  graph: 'rclnodejs' | 'inprocess';
  withCloudBridge: boolean;
  logLevel: string;
  /**
   * Managed nodes (unconfigured at start) and a lifecycle_manager that configures, then activates them in
   * STACK order (the safety gate first up, last down): the default (undefined counts as true). false
   * (`--no-lifecycle`): the nodes start active and no manager runs.
   */
  managed?: boolean;
}

/** One node as planned: its `--ros-args`, resolved parameters, or why it cannot start. */
export interface PlannedNode {
  name: StackNode | typeof MANAGER_NODE;
  critical: boolean;
  rosArgs: string[];
  params?: Record<string, unknown>;
  error?: string;
}

export interface Plan {
  request: LaunchRequest;
  nodes: PlannedNode[];
  /** Parameter checks, one per node (and the file itself). */
  checks: Check[];
  /** cloud_bridge's resolved settings, when it is part of the plan and its parameters are valid. */
  bridge?: { files: BridgeFiles; broker: BrokerSettings; storePath: string; outboxMaxBytes: number };
}

/** Overrides the launcher passes on the command line (not from the file). */
function cliOverrides(req: LaunchRequest, node: StackNode): string[] {
  const q = (s: string): string => `'${s.replace(/'/g, "''")}'`; // YAML string: a robot id 0042 stays '0042'
  const out: string[] = [];
  if (node === 'executive' || node === 'cloud_bridge' || node === 'black_box')
    out.push('-p', `profile:=${req.profile}`);
  if (node === 'cloud_bridge') {
    out.push('-p', `robot_id:=${q(req.robotId)}`, '-p', `fleet:=${q(req.fleet)}`);
    if (req.brokerUrl) out.push('-p', `broker_url:=${q(req.brokerUrl)}`);
  }
  return out;
}

/** `--ros-args ...` of one node, as `kizuna run <node>` and the launch files pass them. */
export function rosArgsFor(req: LaunchRequest, node: StackNode): string[] {
  return ['--ros-args', '--params-file', req.paramsFile, '--log-level', req.logLevel, ...cliOverrides(req, node)];
}

/** Resolves every node's parameters through its schema and collects what is wrong. Reads only files. */
export function planLaunch(req: LaunchRequest): Plan {
  const checks: Check[] = [];
  const nodes: PlannedNode[] = [];
  let blocks: ParamBlock[] = [];
  let fileRead = false;
  try {
    blocks = loadParamsFile(req.paramsFile);
    fileRead = true;
    checks.push({ name: 'parameter file', level: 'pass', detail: req.paramsFile });
  } catch (err) {
    checks.push({
      name: 'parameter file',
      level: 'fail',
      detail: isKizunaError(err) ? `${err.code}: ${err.message}` : String(err),
      fix: `fix the file, or pass another with --params (profiles ship in ${join(kizunaRoot(), 'launch', 'params')})`,
    });
  }
  const schemas = stackSchemas();
  let bridge: Plan['bridge'];
  for (const name of STACK) {
    if (name === 'cloud_bridge' && !req.withCloudBridge) continue;
    const rosArgs = rosArgsFor(req, name);
    const planned: PlannedNode = { name, critical: name === CRITICAL_NODE, rosArgs };
    nodes.push(planned);
    const schema = schemas[name];
    if (!schema || !NODES[name]) {
      planned.error = `this kizuna build has no ${name} node`;
      checks.push({
        name: `${name} parameters`,
        level: 'fail',
        detail: planned.error,
        fix: 'install a kizuna release that includes it, or start without it (--no-cloud-bridge)',
      });
      continue;
    }
    const ros = parseRosArgs(rosArgs);
    const overrides: Record<string, ParamValue> = overridesForNode(blocks, ros, name, '/');
    try {
      const values = resolveParameters(schema, overrides, name) as Record<string, unknown>;
      planned.params = values;
      const fromFile = blocks.some((b) => matches(b, name));
      // A file that could not be read has no sections: saying "valid, every value a default" would mislead.
      if (fileRead)
        checks.push({
          name: `${name} parameters`,
          level: fromFile ? 'pass' : 'warn',
          detail: fromFile ? 'valid' : 'valid, but the file has no section for it: every value is a default',
          ...(fromFile ? {} : { fix: `add a '${name}:' section (ros__parameters) to ${req.paramsFile}` }),
        });
      if (name === 'cloud_bridge') bridge = bridgeSettings(values, req);
    } catch (err) {
      planned.error = isKizunaError(err) ? err.message : String(err);
      checks.push({
        name: `${name} parameters`,
        level: 'fail',
        detail: planned.error,
        fix: `fix the '${name}:' section of ${req.paramsFile}`,
      });
    }
  }
  if (req.managed !== false) nodes.push(managerPlan(req, nodes));
  return { request: req, nodes, checks, ...(bridge ? { bridge } : {}) };
}

/** The lifecycle_manager of a managed launch: every planned node, in start order, to bring up. */
function managerPlan(req: LaunchRequest, stack: ReadonlyArray<PlannedNode>): PlannedNode {
  return {
    name: MANAGER_NODE,
    critical: false,
    rosArgs: [
      '--ros-args',
      '--params-file',
      req.paramsFile,
      '--log-level',
      req.logLevel,
      '-p',
      `node_names:=[${stack.map((n) => n.name).join(',')}]`,
    ],
  };
}

function matches(block: ParamBlock, name: string): boolean {
  return Object.keys(overridesForNode([block], { params: {}, nodeParams: {} }, name, '/')).length > 0;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function bridgeSettings(p: Record<string, unknown>, req: LaunchRequest): NonNullable<Plan['bridge']> {
  const url = req.brokerUrl ?? str(p.broker_url);
  return {
    files: {
      tls_ca_file: str(p.tls_ca_file),
      tls_cert_file: str(p.tls_cert_file),
      tls_key_file: str(p.tls_key_file),
      password_file: str(p.password_file),
      trusted_keys_file: str(p.trusted_keys_file),
      allow_unsigned: p.allow_unsigned === true,
    },
    broker: {
      url,
      robotId: req.robotId,
      mqttVersion: p.mqtt_version === 4 ? 4 : 5,
      username: str(p.username),
      passwordFile: str(p.password_file),
      caFile: str(p.tls_ca_file),
      certFile: str(p.tls_cert_file),
      keyFile: str(p.tls_key_file),
      servername: str(p.tls_servername),
    },
    storePath: str(p.store_path),
    outboxMaxBytes: typeof p.outbox_max_bytes === 'number' ? p.outbox_max_bytes : 64 * 1048576,
  };
}

// ---------------------------------------------------------------------------------------------
// flags shared by launch and doctor

export interface CommonFlags {
  profile?: ProfileName;
  robotId?: string;
  fleet: string;
  paramsFile?: string;
  brokerUrl?: string;
}

/** Validates --profile; returns the message naming the flag and the fix, or undefined. */
export function profileProblem(v: string | undefined): string | undefined {
  if (v === undefined) return '--profile needs a value: one of ' + PROFILE_NAMES.join(', ');
  return (PROFILE_NAMES as readonly string[]).includes(v)
    ? undefined
    : `--profile must be one of ${PROFILE_NAMES.join(', ')}, got '${v}'`;
}

/** Validates a --robot-id / --fleet value (one MQTT topic level). */
export function levelProblem(flag: string, v: string | undefined): string | undefined {
  if (v === undefined || v === '') return `${flag} needs a value: letters, digits, '_' and '-', 1 to 64 characters`;
  const r = topicLevelSchema.safeParse(v);
  return r.success ? undefined : `${flag} '${v}' is not one MQTT topic level: ${r.error.issues[0]?.message ?? ''}`;
}

/** Validates a --broker URL. */
export function brokerProblem(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return '--broker needs a URL, e.g. mqtts://broker.example.org:8883';
  const bad = splitBrokerUrls(v).find((u) => !/^(mqtts?|wss?):\/\/[^\s/,]+/.test(u));
  const parsed = brokerUrlsSchema.safeParse(v);
  if (bad !== undefined || !parsed.success) {
    if (!v.includes(',')) return `--broker must be an mqtt://, mqtts://, ws:// or wss:// URL, got '${v}'`;
    return `--broker must be a comma-separated list of mqtt://, mqtts://, ws:// or wss:// URLs, got '${v}'${
      parsed.success ? '' : `: ${parsed.error.issues[0]!.message}`
    }`;
  }
  return undefined;
}

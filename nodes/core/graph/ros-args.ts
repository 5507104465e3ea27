/**
 * ROS 2 parameter YAML files and `--ros-args` command lines, read the way rcl reads them, so the same
 * files and flags work with `ros2 launch`, `ros2 run` and kizuna's own launcher.
 */
import { visit, type Document } from 'yaml';
import { KizunaError } from '../errors';
import { printable } from '../printable';
import { readTextFile } from '../text-file';
import { parseYamlSafe } from '../yaml-safe';
import type { ParamValue } from './params';
import type { RemapRule } from './types';
import { fullyQualifiedNodeName, validateRemapRule } from './names';

/** One `<node pattern>: ros__parameters:` block of a parameter file. */
export interface ParamBlock {
  /** Absolute node pattern, e.g. `/**`, `/robot1/perception`, `/*\/safety_gate`. */
  pattern: string;
  params: Record<string, ParamValue>;
  /** Where it came from, for error messages. */
  source: string;
}

/** Everything `--ros-args` can carry that kizuna uses. */
export interface RosArgs {
  /** `-p name:=value`, values parsed as YAML like rcl does. Apply to every node. */
  params: Record<string, ParamValue>;
  /** `-p node:name:=value`: parameters for the node with that name only. */
  nodeParams: Record<string, Record<string, ParamValue>>;
  /** `--params-file path`, in order. */
  paramsFiles: string[];
  /** `-r from:=to` and `-r node:from:=to`. */
  remappings: RemapRule[];
  /** `-r __node:=name`: renames every node the process starts. */
  nodeName?: string;
  /** `-r __ns:=/ns`: the namespace of every node the process starts. */
  namespace?: string;
  /** `-r node:__node:=name`, keyed by the node's original name. */
  nodeRenames: Record<string, string>;
  /** `-r node:__ns:=/ns`, keyed by the node's original name. */
  nodeNamespaces: Record<string, string>;
  /** `--log-level level`. */
  logLevel?: string;
  /** Arguments outside `--ros-args ... --`, left for the program. */
  rest: string[];
}

const PARAMS_KEY = 'ros__parameters';

/** [bytes] largest parameter file read (real ones are a few kB; Nav2's full set is about 20 kB). */
export const PARAM_FILE_MAX_BYTES = 1_000_000;
/** Deepest nesting of maps and lists in a parameter file (node namespaces plus nested parameter names). */
export const PARAM_FILE_MAX_DEPTH = 32;

/** The file as a whole is refused: `<source> <why>`, e.g. `x.yaml is not valid YAML (line 2): ...`. */
function fileRefused(source: string, why: string, entity?: string): KizunaError {
  return new KizunaError('KZ_ERR_PARAM_FILE', `${printable(source, 160)} ${printable(why, 240)}`, {
    entity: printable(entity ?? source, 160),
  });
}

/** Every reason is one short printable line: file contents never reach the terminal raw. */
function fileError(source: string, why: string, entity?: string): KizunaError {
  return new KizunaError('KZ_ERR_PARAM_FILE', `${printable(source, 160)}: ${printable(why, 240)}`, {
    entity: printable(entity ?? source, 160),
  });
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** A parameter value from YAML, or an error naming the key. Nested arrays, nulls and mixed arrays are rejected. */
function toParamValue(value: unknown, key: string, source: string): ParamValue {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    // A YAML escape ("\0", "\e") can put any character in a string; C0 controls other than tab and newline
    // end a C string early in rcl, or rewrite a terminal when the value is logged.
    if (CONTROL.test(value)) throw fileError(source, `parameter '${key}' has a control character in its text`, key);
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw fileError(source, `parameter '${key}' is not a finite number`, key);
    return value;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return [] as string[];
    const kind = typeof value[0];
    if (!['boolean', 'number', 'string'].includes(kind) || !value.every((v) => typeof v === kind)) {
      throw fileError(source, `parameter '${key}' must be an array of one type (bool, number or string)`, key);
    }
    if (kind === 'string' && value.some((v) => CONTROL.test(v as string))) {
      throw fileError(source, `parameter '${key}' has a control character in its text`, key);
    }
    if (kind === 'number' && !value.every((v) => Number.isFinite(v))) {
      throw fileError(source, `parameter '${key}' has a non-finite number`, key);
    }
    return value as ParamValue;
  }
  if (value === null || value === undefined) throw fileError(source, `parameter '${key}' has no value`, key);
  const kind = value instanceof Uint8Array ? 'binary data' : Array.isArray(value) ? 'a list' : typeof value;
  throw fileError(source, `parameter '${key}' has an unsupported value (${kind})`, key);
}

/** A YAML mapping as data (not a list, and not what a tag made of it, such as `!!binary`'s bytes). */
function isPlainMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}

/** Flattens nested parameter maps to dotted names (`a: {b: 1}` is `a.b`), as rcl does. */
function flattenParams(
  obj: Record<string, unknown>,
  prefix: string,
  source: string,
  out: Record<string, ParamValue>,
): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (k === '__proto__') throw fileError(source, `parameter name '${key}' is not allowed`, key);
    if (isPlainMap(v)) flattenParams(v, key, source, out);
    else out[key] = toParamValue(v, key, source);
  }
}

// rcl_yaml_param_parser reads these unquoted spellings as booleans (YAML 1.1 style); YAML 1.2 would keep
// them as strings, so a bool parameter written `enabled: yes` would work with ros2 launch but not here.
const RCL_TRUE = new Set(['Y', 'y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE']);
const RCL_FALSE = new Set(['N', 'n', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE']);

/** Reads unquoted scalars the way rcl does for booleans, in place. */
function applyRclBooleans(doc: Document): void {
  visit(doc, {
    Scalar(_key, node) {
      if (node.type !== 'PLAIN' || typeof node.value !== 'string') return;
      if (RCL_TRUE.has(node.value)) node.value = true;
      else if (RCL_FALSE.has(node.value)) node.value = false;
    },
  });
}

/** Parses the text of a ROS 2 parameter file. `source` names it in errors. Throws KZ_ERR_PARAM_FILE. */
export function parseParamsYaml(text: string, source: string): ParamBlock[] {
  const parsed = parseYamlSafe(text, {
    maxDepth: PARAM_FILE_MAX_DEPTH,
    maxAliasCount: 0,
    aliasWhy: 'ROS 2 parameter files cannot use aliases (rcl refuses them)',
    prepare: applyRclBooleans,
  });
  if (!parsed.ok) throw fileRefused(source, parsed.why);
  const root = parsed.data;
  if (root === null || root === undefined) return [];
  if (!isPlainMap(root)) throw fileError(source, 'the top level must be a map of node names to `ros__parameters`');
  const blocks: ParamBlock[] = [];
  const walk = (obj: Record<string, unknown>, path: string[]): void => {
    for (const [k, v] of Object.entries(obj)) {
      if (k === PARAMS_KEY) {
        if (path.length === 0)
          throw fileError(source, '`ros__parameters` must sit under a node name (use `/**` for all nodes)');
        if (!isPlainMap(v)) throw fileError(source, `\`ros__parameters\` of '${path.join('/')}' must be a map`);
        const params: Record<string, ParamValue> = {};
        flattenParams(v, '', source, params);
        const joined = path
          .map((p) => p.replace(/^\/+|\/+$/g, ''))
          .filter(Boolean)
          .join('/');
        blocks.push({ pattern: `/${joined}`, params, source });
      } else if (isPlainMap(v)) {
        walk(v, [...path, k]);
      } else {
        throw fileError(
          source,
          `key '${[...path, k].join('/')}' is not under \`ros__parameters\` (expected '<node>: ros__parameters: ...')`,
        );
      }
    }
  };
  walk(root, []);
  return blocks;
}

/**
 * Reads and parses a ROS 2 parameter file from disk (at most PARAM_FILE_MAX_BYTES, UTF-8 text). Throws
 * KZ_ERR_PARAM_FILE naming the path and one short reason.
 */
export function loadParamsFile(path: string): ParamBlock[] {
  const r = readTextFile(path, PARAM_FILE_MAX_BYTES);
  if (!r.ok) {
    throw fileError(`cannot read parameter file '${path}'`, r.why, path);
  }
  return parseParamsYaml(r.text, path);
}

/** True when a node pattern (`/**`, `/ns/*`, `/a/**\/b`) matches a fully qualified node name. */
export function nodePatternMatches(pattern: string, fqn: string): boolean {
  const pat = pattern.split('/').filter(Boolean);
  const name = fqn.split('/').filter(Boolean);
  const match = (i: number, j: number): boolean => {
    if (i === pat.length) return j === name.length;
    if (pat[i] === '**') {
      for (let k = j; k <= name.length; k++) if (match(i + 1, k)) return true;
      return false;
    }
    if (j === name.length) return false;
    return (pat[i] === '*' || pat[i] === name[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

/**
 * The parameter overrides one node gets: every matching block of every file in order (later wins),
 * then the `-p` flags on top (node-scoped ones last).
 */
export function overridesForNode(
  blocks: ReadonlyArray<ParamBlock>,
  cli: Pick<RosArgs, 'params' | 'nodeParams'>,
  nodeName: string,
  namespace: string,
): Record<string, ParamValue> {
  const fqn = fullyQualifiedNodeName(namespace, nodeName);
  const out: Record<string, ParamValue> = {};
  for (const block of blocks) if (nodePatternMatches(block.pattern, fqn)) Object.assign(out, block.params);
  return Object.assign(out, cli.params, cli.nodeParams[nodeName], cli.nodeParams[fqn]);
}

/** The name and namespace a node starts with, after `__node` / `__ns` rules (node-scoped ones first). */
export function nodeIdentityFromArgs(
  args: Pick<RosArgs, 'nodeName' | 'namespace' | 'nodeRenames' | 'nodeNamespaces'>,
  defaultName: string,
): { name: string; namespace: string } {
  return {
    name: args.nodeRenames[defaultName] ?? args.nodeName ?? defaultName,
    namespace: args.nodeNamespaces[defaultName] ?? args.namespace ?? '/',
  };
}

/** The command line is the user's own, but may come from a script: printed as one short safe line. */
function argError(why: string): KizunaError {
  return new KizunaError('KZ_ERR_ROS_ARGS', `--ros-args: ${printable(why, 300)}`);
}

function splitAssign(arg: string, flag: string): [string, string] {
  const at = arg.indexOf(':=');
  if (at <= 0) throw argError(`${flag} expects name:=value, got '${printable(arg, 60)}'`);
  return [arg.slice(0, at), arg.slice(at + 2)];
}

/** A parameter name: dotted segments (`qos_overrides./scan.subscription.depth` has a slash too). */
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
/** The node of a node-scoped `-p node:name:=value`: a name or fully qualified name. */
const NODE_SCOPE = /^\/?[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;

/** The levels rcl accepts for `--log-level` (case-insensitive); `warning` is kizuna's alias of `warn`. */
const RCL_LOG_LEVELS = ['debug', 'info', 'warn', 'warning', 'error', 'fatal'];

/** Parses a command line; only what sits between `--ros-args` and `--` (or the end) is ROS's. Throws KZ_ERR_ROS_ARGS. */
export function parseRosArgs(argv: ReadonlyArray<string>): RosArgs {
  const out: RosArgs = {
    params: {},
    nodeParams: {},
    paramsFiles: [],
    remappings: [],
    nodeRenames: {},
    nodeNamespaces: {},
    rest: [],
  };
  let inRos = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--ros-args') {
      inRos = true;
      continue;
    }
    if (!inRos) {
      out.rest.push(arg);
      continue;
    }
    if (arg === '--') {
      inRos = false;
      continue;
    }
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw argError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '-p':
      case '--param': {
        const [lhs, raw] = splitAssign(next(), arg);
        const colon = lhs.indexOf(':');
        const node = colon > 0 ? lhs.slice(0, colon) : undefined;
        const name = colon > 0 ? lhs.slice(colon + 1) : lhs;
        const shown = printable(lhs, 60);
        if (!PARAM_NAME.test(name) || name === '__proto__') {
          throw argError(`-p ${shown}: '${printable(name, 60)}' is not a parameter name (letters, digits, _ . / -)`);
        }
        if (node !== undefined && !NODE_SCOPE.test(node)) {
          throw argError(`-p ${shown}: '${printable(node, 60)}' is not a node name`);
        }
        const parsed = parseYamlSafe(raw, { maxDepth: 2, maxAliasCount: 0, prepare: applyRclBooleans });
        if (!parsed.ok) throw argError(`-p ${shown}: value '${printable(raw, 40)}' ${parsed.why}`);
        let value: ParamValue;
        try {
          value = toParamValue(parsed.data, name, '-p');
        } catch (e) {
          throw argError((e as Error).message);
        }
        if (node) (out.nodeParams[node] ??= {})[name] = value;
        else out.params[name] = value;
        break;
      }
      case '--params-file':
        out.paramsFiles.push(next());
        break;
      case '-r':
      case '--remap': {
        const [lhs, to] = splitAssign(next(), arg);
        const colon = lhs.indexOf(':');
        const node = colon > 0 ? lhs.slice(0, colon) : undefined;
        const from = colon > 0 ? lhs.slice(colon + 1) : lhs;
        // Checked now, as rcl checks remap rules while parsing: never on some later name lookup.
        try {
          validateRemapRule({ from, to, ...(node ? { node } : {}) });
        } catch (err) {
          throw argError((err as Error).message);
        }
        if (from === '__node' || from === '__name') {
          if (node) out.nodeRenames[node] = to;
          else out.nodeName = to;
        } else if (from === '__ns') {
          if (node) out.nodeNamespaces[node] = to;
          else out.namespace = to;
        } else out.remappings.push({ from, to, ...(node ? { node } : {}) });
        break;
      }
      case '--log-level': {
        const v = next();
        const level = v.includes(':=') ? splitAssign(v, arg)[1] : v;
        if (!RCL_LOG_LEVELS.includes(level.toLowerCase())) {
          throw argError(`--log-level must be one of ${RCL_LOG_LEVELS.join(', ')}, got '${level}'`);
        }
        out.logLevel = level;
        break;
      }
      case '-e':
      case '--enclave':
        next();
        break;
      case '--disable-rosout-logs':
      case '--enable-rosout-logs':
      case '--disable-stdout-logs':
      case '--enable-stdout-logs':
      case '--disable-external-lib-logs':
        break;
      default:
        throw argError(`unknown argument '${arg}'`);
    }
  }
  return out;
}

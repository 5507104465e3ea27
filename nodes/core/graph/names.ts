/**
 * ROS 2 names: validation, expansion (relative, absolute, `~`, `{node}`) and remapping,
 * following the ROS 2 topic and service names design (design.ros2.org, "Topic and Service name mapping").
 */
import { KizunaError } from '../errors';
import type { RemapRule } from './types';

const NODE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOKEN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** rmw's longest node name (RMW_NODE_NAME_MAX_NAME_LENGTH). */
export const MAX_NODE_NAME_LENGTH = 255;
/** rmw's longest fully qualified topic or service name: 255 less 8 reserved for DDS prefixes (RMW_TOPIC_MAX_NAME_LENGTH). */
export const MAX_TOPIC_NAME_LENGTH = 247;
/** rmw's longest namespace: the topic limit less 2, so a name still fits under it (RMW_NAMESPACE_MAX_LENGTH). */
export const MAX_NAMESPACE_LENGTH = MAX_TOPIC_NAME_LENGTH - 2;
/**
 * Longest fully qualified node name rcl accepts: rcl creates the node's parameter services with it, and
 * `<fqn>/set_parameters_atomically` must fit rmw's topic limit (measured on Jazzy with rclpy and rclnodejs).
 */
export const MAX_NODE_FQN_LENGTH = MAX_TOPIC_NAME_LENGTH - '/set_parameters_atomically'.length;

/** Throws KZ_ERR_INVALID_NAME unless `name` is a valid node name (no slashes, starts with a letter or `_`, at most 255 characters). */
export function validateNodeName(name: string): void {
  if (typeof name === 'string' && name.length > MAX_NODE_NAME_LENGTH) {
    throw new KizunaError(
      'KZ_ERR_INVALID_NAME',
      `invalid node name '${name.slice(0, 40)}…': ${name.length} characters, rmw allows at most ${MAX_NODE_NAME_LENGTH}`,
      { entity: name },
    );
  }
  if (typeof name !== 'string' || !NODE_NAME.test(name)) {
    throw new KizunaError(
      'KZ_ERR_INVALID_NAME',
      `invalid node name '${name}': use letters, digits and '_', not starting with a digit`,
      { entity: name },
    );
  }
}

/**
 * The absolute form of a namespace (`''` and `/` are the root). Throws KZ_ERR_INVALID_NAME for bad tokens,
 * a trailing `/` (rcl refuses `/a/`, as rmw_validate_namespace does) and more than 245 characters.
 */
export function normalizeNamespace(ns: string | undefined): string {
  if (ns === undefined || ns === '' || ns === '/') return '/';
  if (typeof ns !== 'string') {
    throw new KizunaError('KZ_ERR_INVALID_NAME', `invalid namespace: expected a string, got ${typeof ns}`);
  }
  const abs = ns.startsWith('/') ? ns : `/${ns}`;
  if (abs.endsWith('/')) {
    throw new KizunaError(
      'KZ_ERR_INVALID_NAME',
      `invalid namespace '${ns}': it must not end with '/' (rcl refuses it)`,
      {
        entity: ns,
      },
    );
  }
  if (abs.length > MAX_NAMESPACE_LENGTH) {
    throw new KizunaError(
      'KZ_ERR_INVALID_NAME',
      `invalid namespace '${ns.slice(0, 40)}…': ${abs.length} characters, rmw allows at most ${MAX_NAMESPACE_LENGTH}`,
      { entity: ns },
    );
  }
  const trimmed = abs;
  for (const tok of trimmed.slice(1).split('/')) {
    if (!TOKEN.test(tok)) {
      throw new KizunaError('KZ_ERR_INVALID_NAME', `invalid namespace '${ns}': token '${tok}' is not a valid name`, {
        entity: ns,
      });
    }
  }
  return trimmed;
}

/** `/ns/name` for a node. */
export function fullyQualifiedNodeName(namespace: string, name: string): string {
  return namespace === '/' ? `/${name}` : `${namespace}/${name}`;
}

/**
 * Expands a topic or service name to its absolute form for a node: `~` is the node's fully qualified
 * name, `{node}` its name, `{ns}`/`{namespace}` its namespace; a relative name is put under the namespace.
 * Throws KZ_ERR_INVALID_NAME for an empty name, bad tokens, `//`, or a trailing `/`.
 */
export function expandName(name: string, nodeName: string, namespace: string): string {
  const bad = (why: string): never => {
    throw new KizunaError('KZ_ERR_INVALID_NAME', `invalid topic or service name '${name}': ${why}`, { entity: name });
  };
  if (name.length === 0) bad('it is empty');
  const nsPrefix = namespace === '/' ? '' : namespace;
  let out = name.replace(/\{node\}/g, nodeName).replace(/\{(ns|namespace)\}/g, nsPrefix);
  if (out.startsWith('~')) {
    if (out.length > 1 && out[1] !== '/') bad("'~' must be followed by '/' or end the name");
    out = fullyQualifiedNodeName(namespace, nodeName) + out.slice(1);
  } else if (!out.startsWith('/')) {
    out = `${nsPrefix}/${out}`;
  }
  if (out.includes('~')) bad("'~' may only start a name");
  if (out.length > 1 && out.endsWith('/')) bad('it ends with /');
  if (out.includes('//')) bad("it contains '//'");
  for (const tok of out.slice(1).split('/')) {
    if (!TOKEN.test(tok)) bad(`token '${tok}' must use letters, digits and '_', not starting with a digit`);
  }
  if (out.length > MAX_TOPIC_NAME_LENGTH) {
    bad(`the resolved name has ${out.length} characters, rmw allows at most ${MAX_TOPIC_NAME_LENGTH}`);
  }
  return out;
}

/**
 * Throws KZ_ERR_INVALID_NAME (or KZ_ERR_ROS_ARGS when `asArgs`) unless `rule` is well formed, as rcl checks
 * remap rules when it parses arguments: both sides valid names (relative, absolute or `~`), a node scope a
 * valid node name. Checked once, so a bad rule never surfaces later on a name lookup.
 */
export function validateRemapRule(rule: RemapRule): void {
  // Bounded: a rule from a command line may be any length; the reason must still show.
  const rule80 = `${rule.node ? `${rule.node}:` : ''}${rule.from}:=${rule.to}`;
  const where = `remap rule '${rule80.length > 80 ? `${rule80.slice(0, 80)}…` : rule80}'`;
  const wrap = (fn: () => void, side: string): void => {
    try {
      fn();
    } catch (err) {
      throw new KizunaError('KZ_ERR_INVALID_NAME', `${where}: ${side}: ${(err as Error).message}`, {
        entity: `${rule.from}:=${rule.to}`,
      });
    }
  };
  if (typeof rule.from !== 'string' || typeof rule.to !== 'string') {
    throw new KizunaError('KZ_ERR_INVALID_NAME', `${where}: 'from' and 'to' must be strings`);
  }
  if (rule.node !== undefined) wrap(() => validateNodeName(rule.node!), 'node scope');
  if (rule.from === '__node' || rule.from === '__name') return wrap(() => validateNodeName(rule.to), 'node name');
  if (rule.from === '__ns') return wrap(() => normalizeNamespace(rule.to), 'namespace');
  // Syntax only: expanded for a stand-in node at the root, as rcl's remap parser validates each side.
  wrap(() => expandName(rule.from, 'node', '/'), 'from');
  wrap(() => expandName(rule.to, 'node', '/'), 'to');
}

/**
 * Applies remapping rules to an already expanded name. Rules match on the expanded `from` name; the first
 * rule that matches wins (rcl applies rules in the order given). A rule with `node` only applies to that node.
 */
export function remapName(
  expanded: string,
  rules: ReadonlyArray<RemapRule>,
  nodeName: string,
  namespace: string,
): string {
  for (const rule of rules) {
    if (rule.node !== undefined && rule.node !== nodeName) continue;
    if (rule.from.startsWith('__')) continue; // __node / __ns are not name remaps
    if (expandName(rule.from, nodeName, namespace) === expanded) return expandName(rule.to, nodeName, namespace);
  }
  return expanded;
}

/** Expands and remaps `name` for a node: what ROS 2 calls the fully resolved name. */
export function resolveName(
  name: string,
  nodeName: string,
  namespace: string,
  rules: ReadonlyArray<RemapRule> = [],
): string {
  return remapName(expandName(name, nodeName, namespace), rules, nodeName, namespace);
}

/**
 * Name, absolute namespace and fully qualified name of a node about to be created; throws
 * KZ_ERR_INVALID_NAME for a bad name, namespace, remap rule or a fully qualified name too long for rcl, and
 * KZ_ERR_DUPLICATE_NODE when `taken(fqn)`.
 */
export function newNodeIdentity(
  name: string,
  namespace: string | undefined,
  taken: (fqn: string) => boolean,
  remappings: ReadonlyArray<RemapRule> = [],
): { namespace: string; fqn: string } {
  validateNodeName(name);
  for (const rule of remappings) validateRemapRule(rule);
  const ns = normalizeNamespace(namespace);
  const fqn = fullyQualifiedNodeName(ns, name);
  if (fqn.length > MAX_NODE_FQN_LENGTH) {
    throw new KizunaError(
      'KZ_ERR_INVALID_NAME',
      `node '${fqn}' is ${fqn.length} characters long; rcl allows at most ${MAX_NODE_FQN_LENGTH}, so that its parameter services (e.g. '<node>/set_parameters_atomically') stay within rmw's ${MAX_TOPIC_NAME_LENGTH}-character limit`,
      { entity: fqn },
    );
  }
  if (taken(fqn)) {
    throw new KizunaError('KZ_ERR_DUPLICATE_NODE', `a node named '${fqn}' already exists in this graph`, { node: fqn });
  }
  return { namespace: ns, fqn };
}

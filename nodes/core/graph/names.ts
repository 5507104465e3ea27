/**
 * ROS 2 names: validation, expansion (relative, absolute, `~`, `{node}`) and remapping,
 * following the ROS 2 topic and service names design (design.ros2.org, "Topic and Service name mapping").
 */
import { KizunaError } from '../errors';
import type { RemapRule } from './types';

const NODE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOKEN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws KZ_ERR_INVALID_NAME unless `name` is a valid node name (no slashes, starts with a letter or `_`). */
export function validateNodeName(name: string): void {
  if (!NODE_NAME.test(name)) {
    throw new KizunaError(
      'KZ_ERR_INVALID_NAME',
      `invalid node name '${name}': use letters, digits and '_', not starting with a digit`,
      { entity: name },
    );
  }
}

/** The absolute form of a namespace (`''` and `/` are the root). Throws KZ_ERR_INVALID_NAME. */
export function normalizeNamespace(ns: string | undefined): string {
  if (ns === undefined || ns === '' || ns === '/') return '/';
  const abs = ns.startsWith('/') ? ns : `/${ns}`;
  const trimmed = abs.endsWith('/') ? abs.slice(0, -1) : abs;
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
  return out;
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
 * KZ_ERR_INVALID_NAME for a bad name and KZ_ERR_DUPLICATE_NODE when `taken(fqn)`.
 */
export function newNodeIdentity(
  name: string,
  namespace: string | undefined,
  taken: (fqn: string) => boolean,
): { namespace: string; fqn: string } {
  validateNodeName(name);
  const ns = normalizeNamespace(namespace);
  const fqn = fullyQualifiedNodeName(ns, name);
  if (taken(fqn)) {
    throw new KizunaError('KZ_ERR_DUPLICATE_NODE', `a node named '${fqn}' already exists in this graph`, { node: fqn });
  }
  return { namespace: ns, fqn };
}

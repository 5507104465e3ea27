/**
 * YAML from a file the robot does not control, parsed with limits: duplicate keys refused, nesting
 * bounded (deeper than a real file ever goes is a mistake or an attack on the parser's stack), aliases
 * refused or counted (the "billion laughs" alias bomb), and every failure one short printable reason
 * with its line, never the yaml package's exception or a copy of the offending bytes.
 */
import { LineCounter, isAlias, isCollection, isPair, parseDocument, type Document } from 'yaml';
import { printable } from './printable';

export interface YamlLimits {
  /** Deepest nesting of maps and lists allowed (the top-level map is 1). */
  maxDepth: number;
  /**
   * 0: any alias (`*name`) is refused, as rcl's parameter parser refuses them. Otherwise the most alias
   * expansions allowed while building the data.
   */
  maxAliasCount: number;
  /** Why an alias is refused (`maxAliasCount` 0), after `uses a YAML alias (*name) (line N): `. */
  aliasWhy?: string;
  /** Line positions, when the caller wants them too. */
  lineCounter?: LineCounter;
  /** Runs on the checked document before it becomes data (e.g. reading `yes` as a boolean). */
  prepare?: (doc: Document) => void;
}

/** The document and its data, or why not (one printable line) and where. */
export type YamlResult = { ok: true; doc: Document; data: unknown } | { ok: false; why: string; line?: number };

const STACK_OVERFLOW = /call stack/i;

/** Deepest collection nesting in `doc` and the first alias, walked without recursion. */
function shape(doc: Document): { depth: number; deepAt?: number; alias?: number } {
  let depth = 0;
  let deepAt: number | undefined;
  let alias: number | undefined;
  const stack: Array<[unknown, number]> = [[doc.contents, 0]];
  while (stack.length > 0) {
    const [node, d] = stack.pop()!;
    if (isAlias(node)) {
      const at = node.range?.[0];
      if (at !== undefined && (alias === undefined || at < alias)) alias = at;
    } else if (isPair(node)) {
      stack.push([node.key, d], [node.value, d]);
    } else if (isCollection(node)) {
      const here = d + 1;
      if (here > depth) {
        depth = here;
        deepAt = node.range?.[0];
      }
      for (const item of node.items) stack.push([item, here]);
    }
  }
  return { depth, ...(deepAt !== undefined ? { deepAt } : {}), ...(alias !== undefined ? { alias } : {}) };
}

/** Parses YAML `text` within `limits`. Never throws for any input text. */
export function parseYamlSafe(text: string, limits: YamlLimits): YamlResult {
  const lc = limits.lineCounter ?? new LineCounter();
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lc.linePos(offset).line;
  // `is not valid YAML (line 3): Map keys must be unique`: the head, where, and the parser's words.
  const fail = (head: string, line?: number, detail?: string): YamlResult => ({
    ok: false,
    why: `${head}${line !== undefined ? ` (line ${line})` : ''}${detail ? `: ${printable(detail, 120)}` : ''}`,
    ...(line !== undefined ? { line } : {}),
  });
  const tooDeep = `nests more than ${limits.maxDepth} levels deep`;
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  } catch (err) {
    return fail(STACK_OVERFLOW.test(String(err)) ? tooDeep : 'is not valid YAML');
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    if (STACK_OVERFLOW.test(e.message)) return fail(tooDeep, line);
    // The first line only: prettyErrors adds a copy of the source line, which may be anything.
    const first = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    return fail('is not valid YAML', line, first);
  }
  const s = shape(doc);
  if (s.depth > limits.maxDepth) return fail(tooDeep, lineAt(s.deepAt));
  if (limits.maxAliasCount === 0 && s.alias !== undefined) {
    return fail('uses a YAML alias (*name)', lineAt(s.alias), limits.aliasWhy ?? 'aliases are not allowed here');
  }
  try {
    limits.prepare?.(doc);
    return { ok: true, doc, data: doc.toJS({ maxAliasCount: limits.maxAliasCount === 0 ? -1 : limits.maxAliasCount }) };
  } catch (err) {
    const msg = String((err as Error)?.message ?? err);
    if (/excessive alias count/i.test(msg)) {
      return fail(`expands aliases more than ${limits.maxAliasCount} times (an alias bomb?)`, lineAt(s.alias));
    }
    if (STACK_OVERFLOW.test(msg)) return fail(tooDeep);
    return fail('is not valid YAML', undefined, msg.split('\n')[0]);
  }
}

/** Scenario errors that name the field and its line (KZ_ERR_SCENARIO_INVALID). */
import { type Document, type LineCounter, isNode } from 'yaml';
import type { z } from 'zod';
import { KizunaError } from '../../nodes/core/errors';
import { printable } from '../../nodes/core/printable';

// ---------------------------------------------------------------------------------------------
// Errors that name the field

/** One problem in a scenario: the path to the field (`robots[2].start.yaw`), its line, and why. */
export interface ScenarioProblem {
  path: string;
  line?: number;
  message: string;
}

/** `['robots', 2, 'start', 'yaw']` → `robots[2].start.yaw`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out === '' ? '(top level)' : out;
}

function describeInput(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}…` : v)}`;
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}

/** Issue messages in the scenario's terms (zod error map). */
export function zodMessage(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return `required (expected ${iss.expected})`;
      return `expected ${iss.expected}, received ${describeInput(iss.input)}`;
    case 'unrecognized_keys':
      return 'unknown key';
    case 'invalid_union':
      if ('discriminator' in iss && 'options' in iss) {
        const opts = (iss.options as unknown[]).map((o) => `'${String(o)}'`).join(' | ');
        const input = iss.input as Record<string, unknown> | undefined;
        const value = input && typeof input === 'object' ? input[String(iss.discriminator)] : input;
        if (value === undefined) return `required (expected one of ${opts})`;
        return `expected one of ${opts}, received ${describeInput(value)}`;
      }
      return undefined;
    default:
      return undefined;
  }
}

export function problemsOf(error: z.ZodError, doc?: Document, lc?: LineCounter): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  for (const iss of error.issues) {
    const paths: PropertyKey[][] =
      iss.code === 'unrecognized_keys' ? iss.keys.map((k) => [...iss.path, k]) : [[...iss.path]];
    for (const p of paths) {
      const line = doc && lc ? lineOf(doc, lc, p) : undefined;
      out.push({ path: formatPath(p), ...(line !== undefined ? { line } : {}), message: iss.message });
    }
  }
  return out;
}

/** The 1-based line of the deepest node that exists along `path` (the key itself for unknown keys). */
function lineOf(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

export function scenarioError(source: string, problems: ScenarioProblem[]): KizunaError {
  // Paths carry the file's own keys: printed safely (an unknown key may be anything).
  const where = (p: ScenarioProblem): string =>
    `${printable(p.path, 120)}${p.line !== undefined ? ` (line ${p.line})` : ''}`;
  const lines = problems.slice(0, 20).map((p) => `  ${where(p)}: ${printable(p.message, 1000)}`);
  const more = problems.length > 20 ? `\n  … and ${problems.length - 20} more` : '';
  const first = problems[0]!;
  const rest = problems.length > 1 ? `\n${lines.join('\n')}${more}` : '';
  return new KizunaError(
    'KZ_ERR_SCENARIO_INVALID',
    `scenario ${printable(source, 160)} is invalid: ${where(first)}: ${printable(first.message, 1000)}${rest}`,
    {
      entity: source,
      field: first.path,
      problems,
    },
  );
}

/** The validated scenario from plain data (e.g. parsed YAML); throws KZ_ERR_SCENARIO_INVALID naming each bad field. */
